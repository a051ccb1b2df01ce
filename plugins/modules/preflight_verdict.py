#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: preflight_verdict
short_description: One verdict and one report from every preflight check of every host
version_added: 0.2.0
description:
  - Runs on the control node (an action plugin, run once). Reads the results the preflight role registered on
    each host of O(hosts) (C(__preflight_plan), C(__preflight_host), C(__preflight_l2), C(__preflight_listen),
    C(__preflight_probe), C(__preflight_links)), aggregates them with the capacity plan and the vendor repository
    problems into one verdict, identical findings of several hosts merged into one line.
  - Writes the report once as C(preflight-report.md) and a self-contained C(preflight-report.html) (one content,
    two renderings) into O(report_dir), in check mode too (the report is output, not managed state).
author:
  - voiceops.platform maintainers (@voiceops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
  - voiceops.platform.controller_action
options:
  hosts:
    description: The hosts whose results are aggregated (C(ansible_play_hosts)).
    type: list
    elements: str
    required: true
  capacity:
    description: The registered result of M(voiceops.platform.capacity_plan), or nothing.
    type: raw
  repository_problems:
    description: The vendor repository problems, C(component), C(host), C(problem), C(fix).
    type: list
    elements: dict
    default: []
  environment:
    description: In V(lab) the repository problems are skips, in V(production) failures.
    type: str
    choices: [production, lab]
    default: production
  report_dir:
    description: Directory on the control node for the report (created when missing).
    type: path
    required: true
'''

EXAMPLES = r'''
- name: Aggregate, report and decide
  voiceops.platform.preflight_verdict:
    hosts: "{{ ansible_play_hosts }}"
    capacity: "{{ __preflight_capacity | default(omit) }}"
    repository_problems: "{{ __preflight_all_repository_problems | default([]) }}"
    environment: lab
    report_dir: ./voiceops-preflight-report
  run_once: true
  register: __preflight_verdict
'''

RETURN = r'''
verdict:
  description: The worst status of every check, V(pass), V(warn) or V(fail).
  returned: always
  type: str
counts:
  description: Number of checks per status.
  returned: always
  type: dict
checks:
  description: Every check of every host, each with C(host), C(module), C(name), C(status), C(measured), C(required),
    C(message) and C(fix).
  returned: always
  type: list
  elements: dict
failure_lines:
  description: One line per failed requirement, naming the hosts, the measure, the requirement and the fix.
  returned: always
  type: list
  elements: str
repository_failures:
  description: How many of the failures are vendor repository problems.
  returned: always
  type: int
lab_skips:
  description: The components skipped in lab mode, with cause and fix.
  returned: always
  type: list
  elements: dict
report:
  description: Paths of the Markdown and HTML report.
  returned: always
  type: dict
'''
