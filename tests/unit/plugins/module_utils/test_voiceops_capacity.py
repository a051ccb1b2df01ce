# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_capacity as cap


class TestErlangB:
    @pytest.mark.parametrize('channels,traffic,expected', [
        (10, 5.0, 0.0184),     # standard Erlang B table
        (1, 1.0, 0.5),         # B(1, A) = A / (1 + A)
        (2, 1.0, 0.2),         # A^2/2 / (1 + A + A^2/2)
        (5, 2.0, 0.0367),
        (30, 20.0, 0.0085),
        (0, 3.0, 1.0),
    ])
    def test_table_values(self, channels, traffic, expected):
        assert cap.erlang_b(channels, traffic) == pytest.approx(expected, abs=0.0001)

    def test_large_is_stable(self):
        value = cap.erlang_b(3000, 2900.0)
        assert 0 < value < 1

    def test_invalid(self):
        with pytest.raises(ValueError):
            cap.erlang_b(-1, 2)
        with pytest.raises(ValueError):
            cap.erlang_b(2, -1)

    @pytest.mark.parametrize('traffic,blocking,channels', [
        (5.0, 0.0184, 10),    # B(10, 5) = 0.018385 <= 0.0184
        (5.0, 0.018, 11),
        (5.0, 0.01, 11),
        (5.0, 0.02, 10),
        (20.0, 0.01, 30),
        (0.0, 0.01, 0),
    ])
    def test_inverse(self, traffic, blocking, channels):
        n = cap.erlang_b_channels(traffic, blocking)
        assert n == channels
        if n:
            assert cap.erlang_b(n, traffic) <= blocking < cap.erlang_b(n - 1, traffic)

    def test_inverse_invalid(self):
        for blocking in (0, 1, -0.1, 1.5):
            with pytest.raises(ValueError):
                cap.erlang_b_channels(5, blocking)
        with pytest.raises(ValueError):
            cap.erlang_b_channels(-5, 0.01)
        with pytest.raises(ValueError):
            cap.erlang_b_channels(5000, 0.01, max_channels=100)


class TestTraffic:
    def test_seed_example(self):
        erlangs = cap.busy_hour_erlangs(400000, 0.10, 25)
        assert erlangs == pytest.approx(277.78, abs=0.01)
        assert cap.erlang_b_channels(erlangs, 0.01) == 301

    def test_seed_agreement_window(self):
        # With 10 % in the busy hour, 20.5 s .. 29.3 s mean duration give 250 .. 350 channels.
        assert cap.erlang_b_channels(cap.busy_hour_erlangs(400000, 0.10, 20.4), 0.01) == 249
        assert cap.erlang_b_channels(cap.busy_hour_erlangs(400000, 0.10, 20.5), 0.01) == 250
        assert cap.erlang_b_channels(cap.busy_hour_erlangs(400000, 0.10, 29.3), 0.01) == 350
        assert cap.erlang_b_channels(cap.busy_hour_erlangs(400000, 0.10, 29.4), 0.01) == 351
        assert cap.erlang_b_channels(cap.busy_hour_erlangs(400000, 0.10, 180), 0.01) == 2028

    @pytest.mark.parametrize('args', [(-1, 0.1, 10), (10, 1.5, 10), (10, -0.1, 10), (10, 0.1, -1)])
    def test_invalid(self, args):
        with pytest.raises(ValueError):
            cap.busy_hour_erlangs(*args)


class TestBandwidth:
    @pytest.mark.parametrize('payload,ptime,expected', [
        (64, 20, 87.2), (8, 20, 31.2), (32, 20, 55.2), (64, 30, 79.47), (64, 10, 110.4)])
    def test_stream(self, payload, ptime, expected):
        assert cap.stream_bandwidth_kbps(payload, ptime) == pytest.approx(expected, abs=0.01)

    def test_srtp_and_no_l2(self):
        assert cap.stream_bandwidth_kbps(64, 20, srtp=True) == pytest.approx(91.2)
        assert cap.stream_bandwidth_kbps(64, 20, l2_overhead_bytes=0) == pytest.approx(80.0)

    def test_invalid(self):
        with pytest.raises(ValueError):
            cap.stream_bandwidth_kbps(0)
        with pytest.raises(ValueError):
            cap.stream_bandwidth_kbps(64, 0)


class TestPortsAndUsers:
    def test_range(self):
        assert cap.port_range_size(10000, 50000) == 40001
        assert cap.port_range_size(20000, 20046) == 47
        for bad in ((50000, 10000), (0, 10), (10, 70000)):
            with pytest.raises(ValueError):
                cap.port_range_size(*bad)

    def test_rocketchat_nlb(self):
        assert cap.users_served(50, 1, 2) == 24

    @pytest.mark.parametrize('args,expected', [((1, 1, 2), 0), ((0, 1, 2), 0), ((51, 1, 2), 25), ((100, 0, 4), 25)])
    def test_users(self, args, expected):
        assert cap.users_served(*args) == expected

    def test_users_invalid(self):
        with pytest.raises(ValueError):
            cap.users_served(50, 1, 0)

    def test_media_share(self):
        assert cap.media_share(301, 1) == 301
        assert cap.media_share(301, 2) == 151
        assert cap.media_share(301, 2, 1) == 301
        assert cap.media_share(301, 0) == 301
        with pytest.raises(ValueError):
            cap.media_share(301, 2, 2)

    def test_recording(self):
        assert cap.recording_gb_per_day(400000, 25, 32) == pytest.approx(40.0)
        assert cap.recording_gb_per_day(400000, 25, 32, 0.5) == pytest.approx(20.0)
        assert cap.recording_gb_per_day(0, 25, 32) == 0
