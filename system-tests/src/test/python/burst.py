#!/usr/bin/env python3
"""An outside client for the fairness tests on grpcio (gRPC's C core, Debian's python3-grpcio).

    python3 burst.py PLAN.json

PLAN is the JSON that burst.js reads (see src/test/grpc-js/burst.js); the output is the same: one
object per send with its send and answer times in UTC microseconds. Requests are encoded before the
burst and answers decoded after it, so a send costs only the C core's call set-up: grpc-js needs
about a millisecond of its own per call here, which spreads a 30 ms burst over half a second.
With "streamed": true each connection carries its purchases as the messages of one StreamPurchases
stream, opened before the burst and answered on it by request_id. No generated code: the messages
involved are encoded and decoded by hand below.
"""
import json
import os
import queue
import sys
import threading
import time

import grpc

PURCHASE = "/flashsale.v1.FlashSaleService/Purchase"
STREAM_PURCHASES = "/flashsale.v1.FlashSaleService/StreamPurchases"
OUTCOMES = {0: "OUTCOME_UNSPECIFIED", 1: "OUTCOME_WON", 2: "OUTCOME_LOST"}


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def string_field(number, text):
    data = text.encode("utf-8")
    return varint(number << 3 | 2) + varint(len(data)) + data


def message_field(number, data):
    return varint(number << 3 | 2) + varint(len(data)) + data


def purchase_request(event_id, user_id, request_id, quantity):
    # PurchaseRequest: event_id = 1, user_id = 2, request_id = 3, quantity = 4
    return (string_field(1, event_id) + string_field(2, user_id) + string_field(3, request_id)
            + varint(4 << 3 | 0) + varint(quantity))


def fields(data):
    """(field number, value) of a message: ints for varints, bytes for length-delimited fields."""
    i = 0
    while i < len(data):
        key, i = read_varint(data, i)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, i = read_varint(data, i)
        elif wire_type == 2:
            length, i = read_varint(data, i)
            value, i = data[i:i + length], i + length
        elif wire_type == 1:
            value, i = data[i:i + 8], i + 8
        elif wire_type == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d in field %d" % (wire_type, number))
        yield number, value


def read_varint(data, i):
    shift = value = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7


def timestamp_micros(data):
    f = dict(fields(data))
    return f.get(1, 0) * 1_000_000 + f.get(2, 0) // 1000


def decision(response):
    # PurchaseResponse.decision = 1
    return decision_fields(dict(fields(response)).get(1, b""))


def decision_fields(data):
    # PurchaseDecision: outcome = 5, rank = 6, arrival_time = 8, decide_time = 9
    d = dict(fields(data))
    return {
        "outcome": OUTCOMES.get(d.get(5, 0), "OUTCOME_UNSPECIFIED"),
        "rank": d.get(6, 0),
        "arrivalMicros": timestamp_micros(d.get(8, b"")),
        "decideMicros": timestamp_micros(d.get(9, b"")),
    }


def now_micros():
    return time.time_ns() // 1000


class PurchaseStream:
    """One StreamPurchases stream on a channel: purchases go in as messages, answers come back by request_id."""

    def __init__(self, channel, deadline_s, answered):
        self.outgoing = queue.Queue()
        self.pending = {}
        self.lock = threading.Lock()
        self.answered = answered
        call = channel.stream_stream(STREAM_PURCHASES)  # bytes in, bytes out
        self.responses = call(iter(self.outgoing.get, None), timeout=deadline_s)
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def send(self, s, request, send_micros):
        with self.lock:
            self.pending[s["requestId"]] = {"requestId": s["requestId"], "region": s["region"], "sendMicros": send_micros}
        self.outgoing.put(message_field(1, request))  # StreamPurchasesRequest.purchase = 1

    def read(self):
        # StreamPurchasesResponse: request_id = 1, decision = 2, error = 3 (PurchaseError.code = 1).
        # Only the request id is decoded here, during the burst; the decision after it, as for calls.
        ended = "the server ended the stream"
        try:
            for data in self.responses:
                answer_micros = now_micros()
                f = dict(fields(data))
                with self.lock:
                    r = self.pending.pop(f.get(1, b"").decode("utf-8"), None)
                if r is None:
                    continue
                r["answerMicros"] = answer_micros
                if 2 in f:
                    r["code"] = 0
                    r["decisionBytes"] = f[2]
                else:
                    r["code"] = dict(fields(f.get(3, b""))).get(1, 2)
                self.answered(r)
        except grpc.RpcError as e:
            ended = "StreamPurchases failed: %s" % e
        except Exception as e:  # an answer that does not decode: as loud as a failed stream
            ended = "StreamPurchases answer not decoded: %r" % e
        with self.lock:
            unanswered, self.pending = self.pending, {}
        if unanswered:  # as burst.js does: a purchase the stream will never answer fails the run at once
            sys.stderr.write("%s with %d purchases unanswered\n" % (ended, len(unanswered)))
            sys.stderr.flush()
            os._exit(1)

    def end(self):
        self.outgoing.put(None)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        plan = json.load(f)
    streamed = plan.get("streamed", False)
    calls = {}
    channels = {}  # region -> its channels, one per target
    for region, target in plan["targets"].items():
        targets = target if isinstance(target, list) else [target]
        calls[region] = []
        channels[region] = []
        for t in targets:
            channel = grpc.insecure_channel(t)
            grpc.channel_ready_future(channel).result(timeout=10)  # connections first, outside the burst
            channels[region].append(channel)
            calls[region].append(channel.unary_unary(PURCHASE))  # bytes in, bytes out
    turns = {region: -1 for region in calls}
    sends = sorted(plan["sends"], key=lambda s: s["offsetMicros"])
    encoded = [purchase_request(plan["eventId"], s["userId"], s["requestId"], 1) for s in sends]
    deadline_s = plan["deadlineMs"] / 1000
    results = []
    lock = threading.Lock()
    all_answered = threading.Event()

    def record(r):
        with lock:
            results.append(r)
            if len(results) == len(sends):
                all_answered.set()

    def answered(s, send_micros, future):
        r = {"requestId": s["requestId"], "region": s["region"], "sendMicros": send_micros, "answerMicros": now_micros()}
        error = future.exception()
        if error is None:
            r["code"] = 0
            r["bytes"] = future.result()
        else:
            r["code"] = error.code().value[0] if hasattr(error, "code") else 2
        record(r)

    streams = {}
    if streamed:  # one stream per connection, opened before the burst
        streams = {region: [PurchaseStream(c, deadline_s, record) for c in region_channels]
                   for region, region_channels in channels.items()}

    start = time.perf_counter_ns()
    for s, request in zip(sends, encoded):
        ahead_s = (start + s["offsetMicros"] * 1000 - time.perf_counter_ns()) / 1e9
        if ahead_s > 0:
            time.sleep(ahead_s)  # not a spin: the nodes share these cores
        region = s["region"]
        turns[region] = (turns[region] + 1) % len(calls[region])
        send_micros = now_micros()
        if streamed:
            streams[region][turns[region]].send(s, request, send_micros)
            continue
        future = calls[region][turns[region]].future(request, timeout=deadline_s)
        future.add_done_callback(lambda f, s=s, m=send_micros: answered(s, m, f))
    if not all_answered.wait(deadline_s + 10):
        raise SystemExit("only %d of %d answered" % (len(results), len(sends)))
    for region_streams in streams.values():
        for stream in region_streams:
            stream.end()
    for r in results:
        data = r.pop("bytes", None)
        if data is not None:
            r.update(decision(data))
        data = r.pop("decisionBytes", None)
        if data is not None:
            r.update(decision_fields(data))
    sys.stdout.write(json.dumps(results))
    for channel in (c for region_channels in channels.values() for c in region_channels):
        channel.close()


if __name__ == "__main__":
    main()
