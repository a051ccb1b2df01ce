# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/gen_docs.py renders the port catalogue with the roles' defaults."""

from __future__ import annotations

import importlib.util
import os

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
_SPEC = importlib.util.spec_from_file_location('gen_docs', os.path.join(TOP, 'scripts', 'gen_docs.py'))
gen_docs = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(gen_docs)

CATALOGUE = {
    'telephony': [
        {'component': 'rtpengine', 'role': 'rtpengine', 'var_min': 'rtpengine_port_min',
         'var_max': 'rtpengine_port_max', 'proto': 'udp', 'exposure': 'public', 'purpose': 'RTP, media'},
        {'component': 'rtpengine', 'role': 'rtpengine', 'var': 'rtpengine_listen_ng_port', 'proto': 'udp',
         'address_var': 'rtpengine_listen_ng_address'},
        {'component': 'opensips', 'role': 'opensips', 'var': 'opensips_ws_port', 'proto': 'tcp',
         'address_var': 'opensips_ws_address'},
    ],
    'database': [
        {'component': 'epmd', 'role': 'rabbitmq', 'port': 4369, 'proto': 'tcp'},
        {'component': 'future', 'role': 'missing_role', 'var': 'missing_port', 'proto': ['tcp', 'udp']},
    ],
}
DEFAULTS = {'rtpengine': {'rtpengine_port_min': 10000, 'rtpengine_port_max': 50000, 'rtpengine_listen_ng_port': 2223,
                          'rtpengine_listen_ng_address': '127.0.0.1'},
            'opensips': {'opensips_ws_port': 5070, 'opensips_ws_address': '{{ opensips_private_address }}'},
            'rabbitmq': {}, 'missing_role': None}


def test_ports_markdown_names_the_variable_the_default_and_the_exposure():
    text = gen_docs.ports_markdown(CATALOGUE, DEFAULTS)
    assert '## telephony' in text and '## database' in text
    assert '| rtpengine | 10000-50000/udp | `rtpengine_port_min`..`rtpengine_port_max` | rtpengine | public | RTP, media |' in text
    assert 'private (loopback when `rtpengine_listen_ng_address` is; default `127.0.0.1`)' in text
    # A computed default is described in words, never shown as Jinja.
    assert 'private (loopback when `opensips_ws_address` is; default computed, see the role README)' in text
    assert '{{' not in text
    assert '| epmd | 4369/tcp | (fixed) |' in text
    assert '| future | ?/tcp+udp |' in text
