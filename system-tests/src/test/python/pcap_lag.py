#!/usr/bin/env python3
"""Splits the wire test's stamp lag with the kernel's own timestamps.

Usage (as root, beside a run of BurstAtTheWireTest):
  tcpdump -i lo -s 0 -B 262144 -w /tmp/wire.pcap &
  ./mvnw -B -q -pl system-tests -am verify -Dtest=BurstAtTheWireTest ...
  kill %1; python3 system-tests/src/test/python/pcap_lag.py /tmp/wire.pcap system-tests/target/wire-logs

Each request's id appears length-prefixed in its DATA frame, first on the client->tap connection,
then on the tap->region one. A request is dated on each connection as the region stamps it and the
tap dates it: a unary call (one message on its HTTP/2 stream) by the packet that carried the end
of its call (the frame with END_STREAM), a message of a stream by the packet that completed the
message. Per burst CSV and region this prints: the stamp lag as the test
measures it (stamp - tap time), how long after the kernel had the bytes the tap read them, how
long the tap took to put them on the region's socket, and the region's own lag (stamp - the
moment the bytes reached its socket).
"""
import bisect
import collections
import csv
import glob
import struct
import sys


def tcp_streams(pcap_path):
    """{(src port, dst port): (payload bytes, end offsets, capture times in µs)} for every loopback TCP flow."""
    packets = collections.defaultdict(list)
    with open(pcap_path, 'rb') as f:
        f.read(24)
        while True:
            header = f.read(16)
            if len(header) < 16:
                break
            sec, usec, incl, _ = struct.unpack('<IIII', header)
            frame = f.read(incl)
            if len(frame) < 34 or frame[12:14] != b'\x08\x00':
                continue
            ip = frame[14:]
            ihl = (ip[0] & 15) * 4
            if ip[9] != 6:
                continue
            tcp = ip[ihl:]
            sport, dport, seq = struct.unpack('>HHI', tcp[:8])
            payload = tcp[(tcp[12] >> 4) * 4:struct.unpack('>H', ip[2:4])[0] - ihl]
            if payload:
                packets[(sport, dport)].append((seq, sec * 1_000_000 + usec, payload))
    streams = {}
    for flow, pk in packets.items():
        base = min(p[0] for p in pk)
        pk.sort(key=lambda p: (p[0] - base) & 0xffffffff)
        data, ends, times = bytearray(), [], []
        for seq, ts, payload in pk:
            offset = (seq - base) & 0xffffffff
            if offset + len(payload) <= len(data):
                continue  # a retransmission
            data.extend(b'\0' * max(0, offset - len(data)))
            data.extend(payload[len(data) - offset:])
            ends.append(len(data))
            times.append(ts)
        streams[flow] = (bytes(data), ends, times)
    return streams


def http2_frames(data):
    """(start offsets, frames) of a client's HTTP/2 bytes: each frame (start, end, type, flags, stream id)."""
    preface = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
    i = len(preface) if data.startswith(preface) else 0
    starts, frames = [], []
    while i + 9 <= len(data):
        length = int.from_bytes(data[i:i + 3], 'big')
        kind, flags = data[i + 3], data[i + 4]
        stream = int.from_bytes(data[i + 5:i + 9], 'big') & 0x7fffffff
        end = i + 9 + length
        starts.append(i)
        frames.append((i, end, kind, flags, stream))
        i = end
    return starts, frames


def message_ends(data, frames):
    """{stream id: (offsets just past each gRPC message's last byte, offset just past the frame that ended the call, or None)}."""
    header = collections.defaultdict(bytearray)  # stream -> the message prefix read so far
    body_left = collections.defaultdict(int)  # stream -> bytes of the current message still to come
    ends = collections.defaultdict(list)
    ended = {}
    for start, end, kind, flags, stream in frames:
        if kind == 0 and not flags & 0x8:  # DATA, unpadded (gRPC clients do not pad)
            i = start + 9
            while i < end:
                if body_left[stream] == 0 and len(header[stream]) < 5:
                    take = min(5 - len(header[stream]), end - i)
                    header[stream] += data[i:i + take]
                    i += take
                    if len(header[stream]) == 5:
                        body_left[stream] = int.from_bytes(header[stream][1:5], 'big')
                        if body_left[stream] == 0:
                            ends[stream].append(i)
                            header[stream].clear()
                    continue
                take = min(body_left[stream], end - i)
                body_left[stream] -= take
                i += take
                if body_left[stream] == 0:
                    ends[stream].append(i)
                    header[stream].clear()
        if kind in (0, 1) and flags & 0x1:  # END_STREAM on DATA or HEADERS
            ended[stream] = end
    return {stream: (ends.get(stream, []), ended.get(stream)) for stream in set(ends) | set(ended)}


def seen_at(streams, needle):
    """Capture times of every packet ending an occurrence of needle's call (or message), earliest first."""
    out = []
    for data, ends, times in streams.values():
        i = data.find(needle)
        if i < 0:
            continue
        starts, frames = http2_frames(data)
        per_stream = message_ends(data, frames)
        while i >= 0:
            at = i + len(needle)
            k = bisect.bisect_right(starts, i) - 1
            if k >= 0 and frames[k][2] == 0 and frames[k][0] + 9 <= i < frames[k][1]:
                message_end_offsets, call_end = per_stream.get(frames[k][4], ([], None))
                if len(message_end_offsets) == 1 and call_end is not None:
                    at = call_end  # a unary call: dated by its end
                else:
                    j = bisect.bisect_left(message_end_offsets, at)
                    at = message_end_offsets[j] if j < len(message_end_offsets) else at
            out.append(times[bisect.bisect_left(ends, at)])
            i = data.find(needle, i + 1)
    return sorted(out)


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))] / 1000


def main(pcap_path, csv_dir):
    streams = tcp_streams(pcap_path)
    for path in sorted(glob.glob(csv_dir + '/burst-*.csv')):
        by_region = collections.defaultdict(list)
        for row in csv.DictReader(open(path)):
            rid = row['request_id'].encode()
            times = seen_at(streams, bytes([len(rid)]) + rid)  # length-prefixed: far-6 is not far-66
            if len(times) < 2:
                continue
            at_tap, at_region = times[0], times[1]
            wire, stamp = int(row['wire_us']), int(row['stamp_us'])
            by_region[row['region']].append((stamp - wire, wire - at_tap, at_region - wire, stamp - at_region))
        for region, rows in by_region.items():
            cols = list(zip(*rows))
            print('%s %s n=%d  stamp-tap p99/max %.2f/%.2f ms | tap read after kernel %.2f/%.2f | '
                  'tap to region socket %.2f/%.2f | region (stamp - bytes at its socket) %.2f/%.2f' % (
                      path.split('/')[-1], region, len(rows), pct(cols[0], .99), pct(cols[0], 1),
                      pct(cols[1], .99), pct(cols[1], 1), pct(cols[2], .99), pct(cols[2], 1),
                      pct(cols[3], .99), pct(cols[3], 1)))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
