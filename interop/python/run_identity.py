"""The seed's flow with azure-identity's ManagedIdentityCredential (track 2 throughout).

usage: run_identity.py [system | client_id=<guid> | object_id=<guid> | resource_id=<id>] [ARM base URL]

Without a base URL the management clients use their built-in
https://management.azure.com (run inside the interop network namespace).
With one, they talk to it (the emulator's ARM endpoint) and the credential
finds the emulator's IMDS through AZURE_POD_IDENTITY_AUTHORITY_HOST, which
azure-identity honours; nothing else is overridden.
Prints the resource-group names of the first subscription, one per line, then
"subscription_id=<id>".
"""

import sys

from azure.identity import ManagedIdentityCredential
from azure.mgmt.resource import ResourceManagementClient, SubscriptionClient

FORMS = ("client_id", "object_id", "resource_id")


def credential(arg):
    if arg == "system":
        return ManagedIdentityCredential()
    key, sep, value = arg.partition("=")
    if not sep or key not in FORMS or not value:
        sys.exit("run_identity.py: expected 'system' or one of %s=<value>, got %r" % ("/".join(FORMS), arg))
    if key == "object_id":
        # azure-identity 1.13 has no object_id keyword; IMDS takes it as a query parameter.
        return ManagedIdentityCredential(identity_config={"object_id": value})
    if key == "resource_id":
        return ManagedIdentityCredential(identity_config={"msi_res_id": value})
    return ManagedIdentityCredential(client_id=value)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    kwargs = {"base_url": sys.argv[2]} if len(sys.argv) == 3 else {}
    cred = credential(sys.argv[1])
    subscription_client = SubscriptionClient(cred, **kwargs)
    subscription = next(subscription_client.subscriptions.list())
    subscription_id = subscription.subscription_id
    resource_client = ResourceManagementClient(cred, subscription_id, **kwargs)
    for item in resource_client.resource_groups.list():
        print(item.name)
    print("subscription_id=%s" % subscription_id)


if __name__ == "__main__":
    main()
