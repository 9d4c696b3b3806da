# The seed sample's lines, unchanged (../../../shared/seed/example.py without its header comment).
# run_seed.py executes this text; for the user-assigned forms it replaces only the credential
# line, with the forms the sample's README gives. Do not edit the lines below.
from msrestazure.azure_active_directory import MSIAuthentication

credentials = MSIAuthentication()

from azure.mgmt.resource import SubscriptionClient

subscription_client = SubscriptionClient(credentials)
subscription = next(subscription_client.subscriptions.list())
subscription_id = subscription.subscription_id

from azure.mgmt.resource import ResourceManagementClient

resource_client = ResourceManagementClient(credentials, subscription_id)
for item in resource_client.resource_groups.list():
    print(item.name)
