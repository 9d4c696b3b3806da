"""get_token bridge between msrestazure's MSIAuthentication and track-2 clients.

Debian's azure-mgmt-resource is a track-2 client: it authenticates through
``credential.get_token(*scopes)`` (azure-core's TokenCredential protocol), which
msrestazure's track-1 ``MSIAuthentication`` lacks. The Azure CLI bridges the two
with a subclass whose ``get_token`` calls msrestazure's ``set_token()`` and returns
an ``azure.core.credentials.AccessToken``. This module installs the same bridge
on the class itself, so the seed sample can keep its own lines, including
``MSIAuthentication(...)`` and the import it comes from.
"""

from azure.core.credentials import AccessToken
from msrestazure.azure_active_directory import MSIAuthentication

_DEFAULT = "/.default"


def _scope_to_resource(scopes):
    if len(scopes) != 1:
        raise ValueError("MSIAuthentication.get_token requires exactly one scope, got %d" % len(scopes))
    scope = scopes[0]
    return scope[: -len(_DEFAULT)] if scope.endswith(_DEFAULT) else scope


def _get_token(self, *scopes, **kwargs):  # kwargs: claims, tenant_id (unused by MI)
    resource = _scope_to_resource(scopes)
    # msrestazure asks for its own resource (https://management.core.windows.net/)
    # in the constructor; ARM accepts that audience, so keep it unless another
    # resource is asked for (as the Azure CLI's wrapper does).
    if resource.rstrip("/") not in (self.resource.rstrip("/"), "https://management.azure.com"):
        self.resource = resource
    self.set_token()
    return AccessToken(self.token["access_token"], int(self.token["expires_on"]))


def install():
    if getattr(MSIAuthentication, "get_token", None) is not _get_token:
        MSIAuthentication.get_token = _get_token
