#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: role_vars
short_description: The effective settings of other roles of this collection, for a host
version_added: 0.2.0
description:
  - Runs on the control node (an action plugin; nothing is sent to the host). For each variable named, gives the
    host's own value (inventory, extra vars) when it has one, else the default this collection ships for the role
    the variable belongs to (its name prefix), templated with the host's variables over the roles' defaults.
  - For a play that runs one role but reads the settings of others (the acceptance checks), so that no role reads
    another role's files.
author:
  - voiceops.platform maintainers (@voiceops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
  - voiceops.platform.controller_action
options:
  names:
    description: Public variables of the collection's roles (each starts with its role's name).
    type: list
    elements: str
    required: true
notes:
  - A name that belongs to no role of the collection, or that is neither set nor a default, fails the task naming it.
'''

EXAMPLES = r'''
- name: Read the settings of nginx_ssl and postgres_replica for this host
  voiceops.platform.role_vars:
    names: [nginx_ssl_https_port, nginx_ssl_server_name, postgres_replica_port]
  register: __settings

- name: Use them
  ansible.builtin.debug:
    msg: "https://{{ __settings.vars.nginx_ssl_server_name }}:{{ __settings.vars.nginx_ssl_https_port }}/"
'''

RETURN = r'''
vars:
  description: Each name with its effective value for this host.
  returned: always
  type: dict
'''
