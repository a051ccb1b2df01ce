"""pika consumer for the call events FreeSWITCH's mod_amqp publishes.

bind: declare a queue and bind it to the exchange with routing key '#'.
get:  wait up to --wait seconds, print [{routing_key, event, destination}] as JSON, delete the queue.
"""
import argparse
import json
import sys
import time

import pika


def main():
    p = argparse.ArgumentParser()
    p.add_argument("action", choices=["bind", "get"])
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=5672)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--exchange", default="call")
    p.add_argument("--queue", required=True)
    p.add_argument("--wait", type=float, default=10)
    args = p.parse_args()
    conn = pika.BlockingConnection(pika.ConnectionParameters(
        host=args.host, port=args.port, credentials=pika.PlainCredentials(args.user, args.password)))
    ch = conn.channel()
    if args.action == "bind":
        ch.queue_declare(queue=args.queue, auto_delete=False)
        ch.queue_bind(queue=args.queue, exchange=args.exchange, routing_key="#")
        print(json.dumps({"bound": args.queue}))
        conn.close()
        return 0
    out = []
    deadline = time.time() + args.wait
    while time.time() < deadline:
        method, _properties, body = ch.basic_get(queue=args.queue, auto_ack=True)
        if method is None:
            if any(e["event"] == "CHANNEL_HANGUP_COMPLETE" for e in out):
                break
            time.sleep(0.3)
            continue
        event = json.loads(body)
        out.append({"routing_key": method.routing_key, "event": event.get("Event-Name"),
                    "destination": event.get("Caller-Destination-Number")})
    ch.queue_delete(queue=args.queue)
    conn.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
