"""Generic resources and role assignments with Debian's track-2 management SDKs, unmodified.

usage: run_mgmt.py resources RESOURCE_ID
       run_mgmt.py rbac RESOURCE_GROUP_ID READER_CLIENT_ID READER_OBJECT_ID

Runs inside the interop network namespace: ManagedIdentityCredential asks
IMDS at 169.254.169.254 and the clients call https://management.azure.com,
both the emulator there. Prints key=value words for the suite to compare.

resources: azure-mgmt-resource's ResourcesClient by ID — create (an
asynchronous type: the poller follows Azure-AsyncOperation), get, list by
group with a resourceType filter, delete, then get again (ResourceNotFound).

rbac: azure-mgmt-authorization — the Contributor definition by roleName
filter; the story: the reader's tag write on the group is refused, the
system identity (Owner) assigns the reader Contributor on the group, the
write succeeds, the assignment is listed by assignedTo() and deleted, and
the write is refused again.
"""

import sys
import uuid

from azure.core.exceptions import HttpResponseError
from azure.identity import ManagedIdentityCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
from azure.mgmt.resource import ResourceManagementClient
from azure.mgmt.resource.resources.models import GenericResource, ResourceGroupPatchable

STORAGE_API = "2025-01-01"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"


def out(key, value):
    print("%s=%s" % (key, value))


def refusal(e):
    return "%s:%s" % (e.status_code, e.error.code if e.error else "")


def resources(resource_id):
    sub = resource_id.split("/")[2]
    rg = resource_id.split("/")[4]
    client = ResourceManagementClient(ManagedIdentityCredential(), sub)
    made = client.resources.begin_create_or_update_by_id(
        resource_id,
        STORAGE_API,
        GenericResource(location="westeurope", tags={"made-by": "python"}, sku={"name": "Standard_LRS"},
                        kind="StorageV2", properties={"minimumTlsVersion": "TLS1_2"}),
    ).result()
    out("created", "%s:%s:%s" % (made.name, made.type, made.properties["provisioningState"]))
    got = client.resources.get_by_id(resource_id, STORAGE_API)
    out("get", "%s:%s:%s" % (got.id == resource_id, got.tags.get("made-by"), got.properties.get("minimumTlsVersion")))
    listed = client.resources.list_by_resource_group(rg, filter="resourceType eq 'Microsoft.Storage/storageAccounts'")
    out("listed", ",".join(sorted(r.name for r in listed)))
    client.resources.begin_delete_by_id(resource_id, STORAGE_API).result()
    try:
        client.resources.get_by_id(resource_id, STORAGE_API)
        out("after-delete", "found")
    except HttpResponseError as e:
        out("after-delete", refusal(e))


def tag_write(client, rg):
    try:
        g = client.resource_groups.update(rg, ResourceGroupPatchable(tags={"touched-by": "python-reader"}))
        return "ok:" + g.tags.get("touched-by", "")
    except HttpResponseError as e:
        return refusal(e)


def rbac(group_id, reader_cid, reader_oid):
    owner = ManagedIdentityCredential()
    reader = ManagedIdentityCredential(client_id=reader_cid)
    scope = group_id
    sub, rg = group_id.split("/")[2], group_id.split("/")[4]
    auth = AuthorizationManagementClient(owner, sub)
    defs = list(auth.role_definitions.list("/subscriptions/" + sub, filter="roleName eq 'Contributor'"))
    out("definitions", ",".join("%s:%s:%s" % (d.role_name, d.name, d.role_type) for d in defs))
    reader_arm = ResourceManagementClient(reader, sub)
    out("reader-write-before", tag_write(reader_arm, rg))
    name = str(uuid.uuid4())
    made = auth.role_assignments.create(scope, name, RoleAssignmentCreateParameters(
        role_definition_id="/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (sub, CONTRIBUTOR),
        principal_id=reader_oid, principal_type="ServicePrincipal"))
    out("assigned", "%s:%s:%s" % (made.name == name, made.principal_id, made.scope))
    listed = [a for a in auth.role_assignments.list_for_scope(scope, filter="assignedTo('%s')" % reader_oid)
              if a.role_definition_id.endswith(CONTRIBUTOR)]
    out("listed", ",".join(a.name for a in listed) == name)
    out("reader-write-assigned", tag_write(reader_arm, rg))
    deleted = auth.role_assignments.delete(scope, name)
    out("deleted", deleted is not None and deleted.name == name)
    try:
        auth.role_assignments.get(scope, name)
        out("after-delete", "found")
    except HttpResponseError as e:
        out("after-delete", refusal(e))
    out("reader-write-after", tag_write(reader_arm, rg))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "resources" and len(sys.argv) == 3:
        resources(sys.argv[2])
    elif len(sys.argv) >= 2 and sys.argv[1] == "rbac" and len(sys.argv) == 5:
        rbac(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
