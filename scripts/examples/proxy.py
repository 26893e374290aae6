#!/usr/bin/env python3
"""Use grist-gateway's JSON proxy from plain Python 3 (standard library only).

    SESSION=sess_... python3 scripts/examples/proxy.py [Table]

Lists the tables, adds three records to Table (default "Products", the demo's), then reads the whole
table back page by page with `next_cursor`. PROXY_URL defaults to http://127.0.0.1:3000/api/v1/proxy
(use the `proxy_url` that request_session_token returned); PAGE_SIZE defaults to 5. The session needs
`read` and `write`.

Every call is one POST of {"method": ..., ...fields} with the session token as a bearer token. The
answer is {"success": true, "data": ...} or {"success": false, "error": "...", "code": "NOT_FOUND"}.
"""

import json
import os
import sys
import urllib.error
import urllib.request

PROXY_URL = os.environ.get("PROXY_URL", "http://127.0.0.1:3000/api/v1/proxy")
TOKEN = os.environ.get("SESSION")


class ProxyError(Exception):
    """A failed call: the gateway's stable code and its message."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code


def call(method, **fields):
    """Calls one gateway method through the proxy and returns its `data`."""
    body = json.dumps({"method": method, **fields}).encode("utf-8")
    request = urllib.request.Request(
        PROXY_URL,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as err:
        # Error answers carry a JSON envelope too (with a 4xx/5xx status).
        try:
            answer = json.load(err)
        except ValueError:
            raise ProxyError("HTTP_" + str(err.code), err.reason) from None
    if not answer.get("success"):
        raise ProxyError(answer.get("code", "UNKNOWN"), answer.get("error", "unknown error"))
    return answer["data"]


def iterate_records(table, page_size, **query):
    """Yields every record of `table`, fetching `page_size` per call and following next_cursor."""
    cursor = None
    while True:
        page = call("get_records", table=table, limit=page_size, **query, **({"cursor": cursor} if cursor else {}))
        yield from page["records"]
        cursor = page["next_cursor"]
        if cursor is None:
            return


def main():
    if not TOKEN:
        print('Set SESSION to a session token (see README: "Mint a session token").', file=sys.stderr)
        return 2
    table = sys.argv[1] if len(sys.argv) > 1 else "Products"
    page_size = int(os.environ.get("PAGE_SIZE", "5"))
    try:
        tables = call("list_tables")["tables"]
        print("Tables:", ", ".join(tables))
        new_ids = call(
            "add_records",
            table=table,
            records=[{"Name": "Proxy widget"}, {"Name": "Proxy gadget"}, {"Name": "Proxy gizmo"}],
        )["record_ids"]
        print("Added row ids:", new_ids)
        count = 0
        for record in iterate_records(table, page_size):
            count += 1
            print(json.dumps(record, ensure_ascii=False))
        print(f"Read {count} records from {table} in pages of {page_size}")
    except ProxyError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
