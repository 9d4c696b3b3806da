"""Run the seed sample (seed_sample.py) with msrestazure and Debian's track-2 clients.

usage: run_seed.py [system | client_id=<guid> | object_id=<guid> | msi_res_id=<resource id>]

The sample is executed as it is, after installing the get_token bridge
(msi_bridge.py). For a user-assigned form only the credential line is replaced,
by the form the sample's README shows. After the sample's own output (one
resource-group name per line) this prints "subscription_id=<id>" so the
caller can assert which subscription the sample picked.
"""

import os
import sys

import msi_bridge

CREDENTIAL_LINE = "credentials = MSIAuthentication()\n"
FORMS = ("client_id", "object_id", "msi_res_id")


def credential_line(arg):
    if arg == "system":
        return CREDENTIAL_LINE
    key, sep, value = arg.partition("=")
    if not sep or key not in FORMS or not value:
        sys.exit("run_seed.py: expected 'system' or one of %s=<value>, got %r" % ("/".join(FORMS), arg))
    return "credentials = MSIAuthentication(%s=%r)\n" % (key, value)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed_sample.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    if source.count(CREDENTIAL_LINE) != 1:
        sys.exit("run_seed.py: seed_sample.py no longer has exactly one %r" % CREDENTIAL_LINE.strip())
    source = source.replace(CREDENTIAL_LINE, credential_line(sys.argv[1]))
    msi_bridge.install()
    scope = {"__name__": "__main__"}
    exec(compile(source, path, "exec"), scope)
    print("subscription_id=%s" % scope["subscription_id"])


if __name__ == "__main__":
    main()
