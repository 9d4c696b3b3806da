// Package identity acquires Azure managed-identity access tokens.
//
//	cred, err := identity.New(identity.Options{})                          // system-assigned
//	cred, err := identity.New(identity.Options{ID: identity.ClientID(id)}) // or ObjectID / ResourceID
//	defer cred.Close()
//	tok, err := cred.Token(ctx, "https://management.azure.com/.default")    // a scope or a bare resource
//
// # Hosts
//
//	Host (Options.Host)            Variables                                   ID kinds
//	IMDS (imds)                    none; AZURE_POD_IDENTITY_AUTHORITY_HOST     system, client, object, resource
//	App Service (appservice)       IDENTITY_ENDPOINT + IDENTITY_HEADER         system, client, object, resource
//	App Service 2017 (appservice2017) MSI_ENDPOINT + MSI_SECRET + *SITE_NAME   system, client
//	Azure ML (azureml)             MSI_ENDPOINT + MSI_SECRET                   system, client
//	Cloud Shell (cloudshell)       MSI_ENDPOINT                                system
//	Azure Arc (arc)                IDENTITY_ENDPOINT + IMDS_ENDPOINT, or himds system, client, object, resource
//	Service Fabric (servicefabric) IDENTITY_ENDPOINT + IDENTITY_HEADER + IDENTITY_SERVER_THUMBPRINT  system
//	Workload identity (workload)   AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID   AZURE_CLIENT_ID's, client
//
// Detection (Detect; a variable counts only when non-empty):
//
//  1. IDENTITY_ENDPOINT and IDENTITY_HEADER: Service Fabric if
//     IDENTITY_SERVER_THUMBPRINT is set, else App Service (2019-08-01);
//  2. else MSI_ENDPOINT: with MSI_SECRET the 2017-09-01 protocol, named
//     "App Service (2017-09-01)" when APPSETTING_WEBSITE_SITE_NAME or
//     WEBSITE_SITE_NAME is set and "Azure ML" otherwise (one implementation
//     serves both); without MSI_SECRET, Cloud Shell;
//  3. else Azure Arc if IDENTITY_ENDPOINT and IMDS_ENDPOINT are set or the
//     agent is installed (/opt/azcmagent/bin/himds);
//  4. else AKS workload identity if AZURE_FEDERATED_TOKEN_FILE,
//     AZURE_CLIENT_ID and AZURE_TENANT_ID are all set: the projected token
//     file, read afresh for every request, is exchanged at Entra ID
//     (AZURE_AUTHORITY_HOST, default https://login.microsoftonline.com);
//  5. else IMDS.
//
// Options.Host forces a host; Options.Endpoint alone forces IMDS at that
// address. Credential.Source reports the host and the variables that led to
// it. Asking a host for an ID kind it does not support fails in New with an
// error naming the kinds it supports.
//
// Azure Arc answers the first request with a 401 naming a key file; the file
// is read only if it is directly inside Options.ArcKeyDir (default
// $AZMSI_ARC_KEY_DIR, else /var/opt/azcmagent/tokens), ends in .key, is a
// regular file (not a symbolic link) and holds at most 4096 bytes. A
// user-assigned identity on Arc must be echoed in the response. Service
// Fabric's self-signed certificate is accepted only by its SHA-1 thumbprint,
// on a dedicated connection pool, and redirects are never followed.
// Secrets (IDENTITY_HEADER, MSI_SECRET, Arc keys) are sent only in request
// headers and never appear in errors, logs or Source.
//
// # Endpoint and environment
//
// The IMDS base URL is, in order of precedence: Options.Endpoint;
// $AZURE_POD_IDENTITY_AUTHORITY_HOST (read through Options.Getenv, as the
// Python SDKs do, e.g. http://127.0.0.1:8079); http://169.254.169.254.
// Point either of the first two at the azmsi emulator to run off Azure.
// Credential.Source reports the endpoint and why it was chosen.
//
// Either may also be unix:///abs/path.sock: the IMDS protocol is then spoken
// over that Unix socket, such as an azmsi broker's (only azmsi understands
// this form; other SDKs need the broker's loopback TCP address).
//
// # Identities
//
// The zero ID is the system-assigned identity. ClientID, ObjectID and
// ResourceID select a user-assigned identity; New checks their syntax, and
// every token returned for one is checked (unverified JWT claims appid, oid
// or xms_mirid) to be for that identity.
//
// # Caching and refresh
//
// A Credential caches one token per resource. Cached reads take no lock and
// allocate nothing. A token is refreshed in the background after RefreshOn
// (refresh_in when the endpoint sends it, else half the lifetime for
// lifetimes over 2 h, else 5 minutes before expiry) while callers keep
// getting the cached one; with under 30 s left it is fetched synchronously.
// Concurrent callers share one upstream request. The cache holds at most
// 1,024 resources and 4 MiB of tokens; past either bound the least
// recently used resources are dropped (and fetched again when asked for). A
// resource whose fetch failed is not kept.
//
// # Errors and latency
//
// errors.Is(err, ErrUnavailable) means no managed-identity endpoint here.
// Endpoint error responses are *AuthError. Neither ever contains a token.
//
// Worst case off Azure with the default client: a refused or unroutable
// connection is retried once after 10 ms, so the error arrives in about
// 10 ms; a silent address costs one 500 ms dial timeout (not
// retried). For an endpoint that is still starting (a sidecar, an agent),
// set Options.WaitReady: refused connections are then retried, with waits
// from 50 ms doubling to 1 s, until that bound (and within the retry
// budget), after which ErrUnavailable says how long it waited. On Azure, IMDS answers 404/410/429/5xx are retried with backoff
// (≈2, 6, 14, 25, 25… s; 410 every ~10 s) until Options.RetryBudget is
// spent, 90 s by default (about five retries, and 410 for over 70 s); the
// caller's ctx cuts any wait short, but a fetch shared with other callers
// keeps running until the budget ends or Close.
package identity
