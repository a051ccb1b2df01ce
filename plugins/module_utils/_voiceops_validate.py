# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Option checks shared by the voiceops preflight modules (private API).

Every numeric option of the preflight modules has a range (a Number rule,
quoted in the module's documentation as ``Range: <describe()>``). The rules are
applied to the *raw* arguments, before AnsibleModule converts them: ansible-core's
own int/float conversion raises on some values (an int option given ``inf`` ->
OverflowError; a float option given a 400-digit int -> OverflowError) and would
take minutes on others (an int option given the text ``1e999999999``). So
start_module() screens the arguments first and fails with one message per bad
value, each naming the option as the user wrote it (``media_servers[1].rtp_port_min``),
then builds the module with the documented types.

Addresses are checked for syntax (an IP address, or a host name of RFC 1123
labels) before anything resolves or connects to them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import math
import re

from ansible.module_utils import basic
from ansible.module_utils.common.validation import check_type_dict

# Longest text accepted as a number ("1234567.5e-3" is 12 characters).
MAX_NUMBER_TEXT = 40
_INT_TEXT = re.compile(r'^[+-]?\d+$')
_FLOAT_TEXT = re.compile(r'^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$')
_LABEL = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')
_LISTENER_ID = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')


def _shown(value, limit=40):
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _fmt(number):
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def to_number(value, integer=False):
    """Convert a raw option value to a finite int/float without ever raising.

    Accepts ints, floats and numeric text (what ansible-core accepts for int and
    float options), refuses booleans, infinities, NaN, and text that is not a
    plain decimal number. Returns (number, None) or (None, reason).
    """
    if isinstance(value, bool):
        return None, 'is a boolean, not a number'
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > MAX_NUMBER_TEXT:
            return None, 'is not a number'
        if _INT_TEXT.match(text):
            return int(text), None
        if not _FLOAT_TEXT.match(text):
            return None, 'is not a number'
        number = float(text)
    else:
        return None, 'is not a number'
    if math.isnan(number) or math.isinf(number):
        return None, 'is not a finite number'
    if integer:
        if not number.is_integer():
            return None, 'is not a whole number'
        return int(number), None
    return number, None


class Number(object):
    """The range of one numeric option: [minimum, maximum], integers only when integer."""

    def __init__(self, minimum, maximum, integer=False, min_exclusive=False):
        self.minimum = minimum
        self.maximum = maximum
        self.integer = integer
        self.min_exclusive = min_exclusive

    def describe(self):
        """The range in words, as the documentation quotes it."""
        kind = 'an integer' if self.integer else 'a number'
        if self.min_exclusive:
            return '%s greater than %s and at most %s' % (kind, _fmt(self.minimum), _fmt(self.maximum))
        return '%s from %s to %s' % (kind, _fmt(self.minimum), _fmt(self.maximum))

    def contains(self, number):
        if self.min_exclusive and number <= self.minimum:
            return False
        return self.minimum <= number <= self.maximum

    def check(self, path, value):
        """(number, None) for a value inside the range, else (None, message naming path)."""
        number, reason = to_number(value, self.integer)
        if reason is None and not self.contains(number):
            reason = 'is out of range'
        if reason is not None:
            return None, '%s=%s %s; set it to %s.' % (path, _shown(value), reason, self.describe())
        return number, None


def count_problem(path, items, minimum=1, maximum=None, what='entry'):
    """A message when a list has fewer than minimum or more than maximum entries, else None."""
    size = len(items or [])
    if size < minimum:
        if size == 0:
            return '%s is empty; give at least %d %s.' % (path, minimum, what)
        return '%s has %d entries; give at least %d.' % (path, size, minimum)
    if maximum is not None and size > maximum:
        return '%s has %d entries; give at most %d.' % (path, size, maximum)
    return None


def is_ip_address(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_host_name(text):
    """RFC 1123 host name (ASCII labels of letters, digits and hyphens); not all-numeric at the end."""
    if not text or len(text) > 253:
        return False
    labels = text[:-1].split('.') if text.endswith('.') else text.split('.')
    return all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def address_problem(path, value, host_names=True):
    """A message when value is not an IP address (or, with host_names, a host name), else None.

    Purely syntactic: nothing is resolved, so a malformed address is refused
    before any DNS query or socket. A dotted all-numeric name that is not a
    valid IPv4 address (``10.0.0.256``, ``1.2.3``) is refused rather than handed
    to the resolver, which would read ``1.2.3`` as ``1.2.0.3``.
    """
    wanted = 'an IP address or a host name' if host_names else 'an IP address'
    if not isinstance(value, str) or not value.strip():
        return '%s=%s is not %s; set it to one (for example 10.0.0.11).' % (path, _shown(value), wanted)
    text = value.strip()
    if is_ip_address(text) or (host_names and is_host_name(text)):
        return None
    return '%s=%s is not %s; set it to one (for example 10.0.0.11).' % (path, _shown(value), wanted)


def listener_id_problem(path, value):
    if isinstance(value, str) and _LISTENER_ID.match(value):
        return None
    return '%s=%s is not a listener name; use 1-64 letters, digits, dots, dashes or underscores.' % (
        path, _shown(value))


# ---------------------------------------------------------------------------
# Screening the raw arguments before AnsibleModule converts them
# ---------------------------------------------------------------------------

def _as_list(value):
    """What ansible-core makes of a list option's value (comma text is split, a scalar wrapped)."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return value.split(',')
    if isinstance(value, (int, float)):
        return [value]
    return None


def _as_dict(value):
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            converted = check_type_dict(value)
        except Exception:  # pylint: disable=broad-except
            return None
        return converted if isinstance(converted, dict) else None
    return None


def screen_arguments(args, argument_spec, rules, path='', key=''):
    """One message per numeric value (at any depth) that is not a finite number inside its rule.

    ``rules`` maps an option's dotted key (``count``, ``media_servers.rtp_port_min``)
    to its Number. ``path`` is how the user wrote the enclosing option
    (``media_servers[1].``). An entry of a list of dicts that is no dict is
    reported here too (ansible-core's message for it names no option); other
    structural problems are left to AnsibleModule, whose messages name the option.
    """
    problems = []
    if not isinstance(args, dict):
        return problems
    for name, spec in argument_spec.items():
        value = args.get(name)
        if value is None:
            continue
        opt_path = path + name
        opt_key = key + name
        kind = spec.get('type', 'str')
        elements = spec.get('elements')
        if kind in ('int', 'float'):
            _number, problem = rules[opt_key].check(opt_path, value)
            if problem:
                problems.append(problem)
        elif kind == 'list' and elements in ('int', 'float'):
            for index, item in enumerate(_as_list(value) or []):
                _number, problem = rules[opt_key].check('%s[%d]' % (opt_path, index), item)
                if problem:
                    problems.append(problem)
        elif kind == 'list' and elements == 'dict' and spec.get('options'):
            for index, item in enumerate(_as_list(value) or []):
                item_path = '%s[%d]' % (opt_path, index)
                if _as_dict(item) is None:
                    # ansible-core's own message for this one does not say which option it is
                    problems.append('%s=%s is not a dict; give one with the keys %s.' % (
                        item_path, _shown(item), ', '.join(sorted(spec['options']))))
                    continue
                problems.extend(screen_arguments(_as_dict(item), spec['options'], rules, item_path + '.',
                                                 opt_key + '.'))
        elif kind == 'dict' and spec.get('options'):
            if _as_dict(value) is None:
                problems.append('%s=%s is not a dict; give one with the keys %s.' % (
                    opt_path, _shown(value), ', '.join(sorted(spec['options']))))
                continue
            problems.extend(screen_arguments(_as_dict(value), spec['options'], rules,
                                             opt_path + '.', opt_key + '.'))
    return problems


def _relaxed(argument_spec):
    """The spec with every option raw: nothing left for ansible-core to convert (or to fail on first)."""
    return dict((name, {'type': 'raw'}) for name in argument_spec)


def _raw_arguments():
    try:
        args = basic._load_params()  # pylint: disable=protected-access
    except Exception:  # pylint: disable=broad-except
        return {}
    return args if isinstance(args, dict) else {}


def numeric_options(argument_spec, key=''):
    """Dotted keys of every option (at any depth) that holds numbers."""
    keys = []
    for name, spec in argument_spec.items():
        numbers = spec.get('elements') if spec.get('type') == 'list' else spec.get('type')
        if numbers in ('int', 'float'):
            keys.append(key + name)
        if spec.get('options'):
            keys.extend(numeric_options(spec['options'], key + name + '.'))
    return keys


def start_module(module_class, name, argument_spec, rules, **kwargs):
    """The AnsibleModule of a preflight module, built only after its numbers were screened.

    ``module_class`` is ansible.module_utils.basic.AnsibleModule (passed in by
    the module). On a bad number the module fails at once, listing every bad
    value; otherwise it is built with the documented types.
    """
    problems = screen_arguments(_raw_arguments(), argument_spec, rules)
    if problems:
        module = module_class(argument_spec=_relaxed(argument_spec), **kwargs)
        fail(module, name, problems)
    return module_class(argument_spec=argument_spec, **kwargs)


def fail(module, name, problems):
    """Fail the module with one sentence per problem, prefixed by the module name."""
    problems = [p for p in problems if p]
    module.fail_json(msg='%s: %s' % (name, ' '.join(problems)), problems=problems)


def check_options(module, name, problems):
    """Fail when any of problems (messages or None) is set; return otherwise."""
    problems = [p for p in problems if p]
    if problems:
        fail(module, name, problems)
