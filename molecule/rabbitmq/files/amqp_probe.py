"""AMQP checks of the rabbitmq scenario, run with pika from the test venv.

login:     connect and open a channel; exit 0 when accepted, 3 when the broker refuses the login.
roundtrip: declare a quorum queue on one node, publish a persistent message there, consume it
           from another node, delete the queue; exit 0 when the body came back unchanged.
Passwords come from the environment (AMQP_PASSWORD), never from the command line.
Prints one JSON object describing what happened.
"""
import argparse
import json
import os
import ssl
import sys
import uuid

import pika
from pika import exceptions


def params(host, port, user, tls_ca=None, tls_name=None):
    kwargs = dict(host=host, port=port, virtual_host="/", connection_attempts=3, retry_delay=2,
                  socket_timeout=10, blocked_connection_timeout=20,
                  credentials=pika.PlainCredentials(user, os.environ.get("AMQP_PASSWORD", "")))
    if tls_ca:
        context = ssl.create_default_context(cafile=tls_ca)
        context.check_hostname = True
        kwargs["ssl_options"] = pika.SSLOptions(context, server_hostname=tls_name or host)
    return pika.ConnectionParameters(**kwargs)


def login(args):
    try:
        conn = pika.BlockingConnection(params(args.host, args.port, args.user, args.tls_ca, args.tls_name))
    except (exceptions.ProbableAuthenticationError, exceptions.AuthenticationError,
            exceptions.ProbableAccessDeniedError) as exc:
        return 3, {"login": "refused", "error": repr(exc)}
    try:
        conn.channel()
        server = conn._impl.server_properties  # pylint: disable=protected-access
        info = {"login": "accepted", "cluster_name": server.get("cluster_name", b"").decode()
                if isinstance(server.get("cluster_name"), bytes) else server.get("cluster_name"),
                "tls": bool(args.tls_ca)}
    finally:
        conn.close()
    return 0, info


def roundtrip(args):
    queue = "voiceops-verify-" + uuid.uuid4().hex[:12]
    body = ("published on %s at %s" % (args.publish, uuid.uuid4().hex)).encode()
    pub = pika.BlockingConnection(params(args.publish, args.port, args.user))
    try:
        ch = pub.channel()
        ch.confirm_delivery()
        ch.queue_declare(queue=queue, durable=True, arguments={"x-queue-type": "quorum"})
        ch.basic_publish(exchange="", routing_key=queue, body=body,
                         properties=pika.BasicProperties(delivery_mode=2), mandatory=True)
    finally:
        pub.close()
    con = pika.BlockingConnection(params(args.consume, args.port, args.user))
    try:
        ch = con.channel()
        got = None
        for method, _props, received in ch.consume(queue, inactivity_timeout=15):
            if method is None:
                break
            ch.basic_ack(method.delivery_tag)
            got = received
            break
        ch.cancel()
        ch.queue_delete(queue=queue)
    finally:
        con.close()
    result = {"queue": queue, "published_on": args.publish, "consumed_on": args.consume,
              "sent": body.decode(), "received": got.decode() if got else None}
    return (0 if got == body else 1), result


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_login = sub.add_parser("login")
    p_login.add_argument("--host", required=True)
    p_login.add_argument("--port", type=int, default=5672)
    p_login.add_argument("--user", required=True)
    p_login.add_argument("--tls-ca")
    p_login.add_argument("--tls-name")
    p_rt = sub.add_parser("roundtrip")
    p_rt.add_argument("--publish", required=True)
    p_rt.add_argument("--consume", required=True)
    p_rt.add_argument("--port", type=int, default=5672)
    p_rt.add_argument("--user", required=True)
    args = parser.parse_args()
    try:
        rc, out = login(args) if args.cmd == "login" else roundtrip(args)
    except Exception as exc:  # any other failure is reported, with its type, as rc 1
        rc, out = 1, {"error": repr(exc)}
    print(json.dumps(out))
    return rc


if __name__ == "__main__":
    sys.exit(main())
