# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure capacity arithmetic for the capacity_plan module (private API).

Erlang B, codec bandwidth with packet overhead, RTP port, recording storage
and load-balancer listener arithmetic. No host access.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

# Codec payload bit rates (kbps) at the default 20 ms packetisation.
# g711 (PCMA/PCMU) and g722: 64 kbps (ITU-T G.711 / G.722); g729: 8 kbps (ITU-T G.729);
# opus is variable rate (RFC 6716/7587): 32 kbps is an assumed typical wideband voice
# rate (browsers' WebRTC default is in that range); override with codec_payload_kbps.
CODECS = {
    'g711': 64.0,
    'g722': 64.0,
    'g729': 8.0,
    'opus': 32.0,
}

# IPv4 (20) + UDP (8) + RTP (12) header bytes per packet.
IP_UDP_RTP_OVERHEAD_BYTES = 40
# Ethernet header (14) + frame check sequence (4) per frame.
ETHERNET_OVERHEAD_BYTES = 18
# SRTP authentication tag (HMAC-SHA1-80, the WebRTC default), bytes per packet.
SRTP_TAG_BYTES = 10

MAX_CHANNELS = 1000000


def erlang_b(channels, traffic):
    """Blocking probability B(N, A) of Erlang's B formula.

    Uses the stable recursion B(0) = 1, B(n) = A*B(n-1) / (n + A*B(n-1)).
    """
    if channels < 0 or traffic < 0:
        raise ValueError('channels and traffic must be >= 0')
    blocking = 1.0
    for n in range(1, int(channels) + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def erlang_b_channels(traffic, blocking, max_channels=MAX_CHANNELS):
    """The smallest number of channels N with B(N, A) <= blocking (inverse Erlang B)."""
    if traffic < 0:
        raise ValueError('traffic must be >= 0')
    if not 0 < blocking < 1:
        raise ValueError('blocking must be between 0 and 1 (exclusive)')
    if traffic == 0:
        return 0
    value = 1.0
    n = 0
    while value > blocking:
        n += 1
        if n > max_channels:
            raise ValueError('more than %d channels needed for %s Erlang' % (max_channels, traffic))
        value = traffic * value / (n + traffic * value)
    return n


def busy_hour_erlangs(calls_per_day, busy_hour_share, avg_call_duration_s):
    """Offered traffic in the busy hour: calls in that hour x mean holding time / 3600 s."""
    if calls_per_day < 0 or avg_call_duration_s < 0 or not 0 <= busy_hour_share <= 1:
        raise ValueError('calls_per_day and avg_call_duration_s must be >= 0, busy_hour_share within 0..1')
    return calls_per_day * busy_hour_share * avg_call_duration_s / 3600.0


def stream_bandwidth_kbps(payload_kbps, ptime_ms=20, ip_overhead_bytes=IP_UDP_RTP_OVERHEAD_BYTES,
                          l2_overhead_bytes=ETHERNET_OVERHEAD_BYTES, srtp=False):
    """Bandwidth of one RTP stream (one direction of one call leg) on the wire, kbps.

    G.711 at 20 ms: 160 B payload + 40 B IP/UDP/RTP + 18 B Ethernet = 218 B x 50
    packets/s = 87.2 kbps.
    """
    if payload_kbps <= 0 or ptime_ms <= 0:
        raise ValueError('payload_kbps and ptime_ms must be > 0')
    payload_bytes = payload_kbps * ptime_ms / 8.0
    packet_bytes = payload_bytes + ip_overhead_bytes + l2_overhead_bytes + (SRTP_TAG_BYTES if srtp else 0)
    packets_per_s = 1000.0 / ptime_ms
    return packet_bytes * 8.0 * packets_per_s / 1000.0


def port_range_size(port_min, port_max):
    """Number of ports in an inclusive range. Raises ValueError on a reversed/invalid range."""
    if not (1 <= port_min <= 65535 and 1 <= port_max <= 65535) or port_max < port_min:
        raise ValueError('invalid port range %s-%s' % (port_min, port_max))
    return port_max - port_min + 1


def users_served(listener_limit, signalling_listeners, ports_per_user):
    """Users a load balancer can serve: floor((listeners - signalling) / ports per user).

    The Rocket.Chat case: floor((50 - 1) / 2) = 24.
    """
    if ports_per_user <= 0:
        raise ValueError('lb_ports_per_user must be > 0')
    usable = listener_limit - signalling_listeners
    if usable <= 0:
        return 0
    return usable // ports_per_user


def recording_gb_per_day(calls_per_day, avg_call_duration_s, recording_kbps, recorded_share=1.0):
    """Recording storage per day in GB (10^9 bytes)."""
    seconds = calls_per_day * recorded_share * avg_call_duration_s
    return seconds * recording_kbps * 1000.0 / 8.0 / 1e9


def media_share(peak_calls, media_servers, spare_media_servers=0):
    """Calls each media server must carry: peak spread over the servers left after losing the spares."""
    active = media_servers - spare_media_servers
    if media_servers <= 0:
        return peak_calls
    if active <= 0:
        raise ValueError('spare_media_servers must be smaller than the number of media servers')
    return int(math.ceil(peak_calls / float(active)))
