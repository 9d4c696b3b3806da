"""An unmodified Azure SDK client of the azmsi broker.

usage: python_client.py <client_id|system> <scope>...

azure-identity's ManagedIdentityCredential finds the broker through
AZURE_POD_IDENTITY_AUTHORITY_HOST (as it would an AAD Pod Identity NMI).
For each scope it prints "appid=<appid> aud=<aud> expires_on=<epoch>"
from the token's (unverified) claims; never the token.
"""

import base64
import json
import sys

from azure.identity import ManagedIdentityCredential


def claims(token):
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    who = sys.argv[1]
    cred = ManagedIdentityCredential() if who == "system" else ManagedIdentityCredential(client_id=who)
    for scope in sys.argv[2:]:
        tok = cred.get_token(scope)
        c = claims(tok.token)
        print("appid=%s aud=%s expires_on=%d" % (c.get("appid"), c.get("aud"), tok.expires_on))


if __name__ == "__main__":
    main()
