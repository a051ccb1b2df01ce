#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: preflight_resolve
short_description: Resolve a host's ports and vendor repositories from the preflight catalogues
version_added: 0.2.0
description:
  - Runs on the control node (an action plugin; nothing is sent to the host). For one host it reads the
    preflight role's port and repository catalogues and gives the effective value of every variable they
    name, the host's own value (inventory) else the default shipped in this collection's role, templated
    with the host's variables over every role's defaults (a default may name another role's variable).
  - Used by the M(voiceops.platform.preflight) role; the result is registered as C(__preflight_plan).
author:
  - voiceops.platform maintainers (@voiceops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
  - voiceops.platform.controller_action
options:
  port_catalogue:
    description: The port catalogue (C(roles/preflight/vars/ports.yml)), group name to entries.
    type: dict
    required: true
  repository_catalogue:
    description: The vendor repository catalogue (C(roles/preflight/vars/repositories.yml)).
    type: list
    elements: dict
    default: []
  vendor_repositories:
    description: More repositories (C(preflight_vendor_repositories)), each C(component), C(url), C(group),
      C(credentials) and C(enable_hint); used when the host is in C(group) (V(all) = every host).
    type: list
    elements: dict
    default: []
  groups:
    description: The host's groups (C(group_names)).
    type: list
    elements: str
    required: true
  host:
    description: The host's inventory name, for messages and the media server list.
    type: str
    required: true
  address:
    description: The host's private address, returned as is for the peers' checks.
    type: str
    required: true
notes:
  - A malformed port value fails the task with a message naming the variable.
'''

EXAMPLES = r'''
- name: Resolve this host's ports and repositories
  voiceops.platform.preflight_resolve:
    port_catalogue: "{{ __preflight_port_catalogue }}"
    repository_catalogue: "{{ __preflight_repository_catalogue }}"
    groups: "{{ group_names }}"
    host: "{{ inventory_hostname }}"
    address: "{{ ansible_facts['default_ipv4']['address'] }}"
  register: __preflight_plan
'''

RETURN = r'''
address:
  description: The O(address) given.
  returned: always
  type: str
ports:
  description: Every port of the host's groups, resolved (one entry per protocol), with its variable and source.
  returned: always
  type: list
  elements: dict
missing_roles:
  description: Roles named by the catalogue that this collection does not ship.
  returned: always
  type: list
  elements: str
listen_specs:
  description: The M(voiceops.platform.port_listener) specs of the host's ports.
  returned: always
  type: list
  elements: str
probe_specs:
  description: The specs the peers probe (loopback ports left out).
  returned: always
  type: list
  elements: str
expected_processes:
  description: The daemons allowed to hold the host's ports.
  returned: always
  type: list
  elements: str
repositories:
  description: The vendor repositories the host installs from, C(component), C(url), C(credentials),
    C(missing_credentials) (names only) and C(enable_hint).
  returned: always
  type: list
  elements: dict
media_servers:
  description: The host's rtpengine RTP ranges, for M(voiceops.platform.capacity_plan).
  returned: always
  type: list
  elements: dict
recording_free_gb:
  description: Free space where rtpengine records, when it runs here with recording on; else null.
  returned: always
  type: float
'''
