"""Key Vault secrets with azure-keyvault-secrets and ManagedIdentityCredential, unmodified.

usage: run_keyvault.py VAULT_URL [client_id=<guid>]

Sets secret "py-secret" and reads it back, printing "value=<value>"; a refused
caller prints "status=<HTTP status> code=<error code>" and exits 0, so the
interop suite can check the refusal. The credential finds the emulator's IMDS
through AZURE_POD_IDENTITY_AUTHORITY_HOST; the vault URL is the emulator's
https://{vault}.vault.localhost:PORT, whose challenge resource verification
passes (verify_challenge_resource stays on).
"""

import sys

from azure.core.exceptions import HttpResponseError
from azure.identity import ManagedIdentityCredential
from azure.keyvault.secrets import SecretClient


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    kwargs = {}
    if len(sys.argv) == 3:
        key, sep, value = sys.argv[2].partition("=")
        if key != "client_id" or not sep or not value:
            sys.exit("run_keyvault.py: expected client_id=<guid>, got %r" % sys.argv[2])
        kwargs["client_id"] = value
    client = SecretClient(vault_url=sys.argv[1], credential=ManagedIdentityCredential(**kwargs))
    try:
        client.set_secret("py-secret", "s3cr3t-python")
        secret = client.get_secret("py-secret")
    except HttpResponseError as e:
        print("status=%s code=%s" % (e.status_code, e.error.code if e.error else ""))
        return
    print("name=%s" % secret.name)
    print("value=%s" % secret.value)


if __name__ == "__main__":
    main()
