# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options and attributes shared by the voiceops preflight modules."""

    DOCUMENTATION = r'''
options:
  fail_on:
    description:
      - When the module itself fails.
      - V(failure) fails the task when at least one check has status V(fail).
      - V(warning) also fails on checks with status V(warn).
      - V(never) always returns the checks without failing, for a caller that
        aggregates the results of several hosts (the preflight role).
    type: str
    choices: [failure, warning, never]
    default: failure
notes:
  - Each check in RV(checks) carries C(name), C(status) (V(pass), V(warn), V(fail) or V(skip)),
    C(measured), C(required), C(message), C(fix) and, for per-peer checks, C(subject).
'''
