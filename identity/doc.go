// Package identity acquires Azure managed-identity access tokens.
//
//	cred, err := identity.New(identity.Options{})                          // system-assigned
//	cred, err := identity.New(identity.Options{ID: identity.ClientID(id)}) // or ObjectID / ResourceID
//	defer cred.Close()
//	tok, err := cred.Token(ctx, "https://management.azure.com/.default")    // a scope or a bare resource
//
// # Hosts
//
//	Host                     Endpoint                                         Status
//	Azure VM / VMSS / AKS    IMDS http://169.254.169.254                      supported
//	App Service, Functions   IDENTITY_ENDPOINT + IDENTITY_HEADER              planned
//	Cloud Shell, Azure ML    MSI_ENDPOINT (+ MSI_SECRET)                      planned
//	Azure Arc                IDENTITY_ENDPOINT + IMDS_ENDPOINT                planned
//	Service Fabric           IDENTITY_ENDPOINT + IDENTITY_SERVER_THUMBPRINT   planned
//
// # Endpoint and environment
//
// The IMDS base URL is, in order of precedence: Options.Endpoint;
// $AZURE_POD_IDENTITY_AUTHORITY_HOST (read through Options.Getenv, as the
// Python SDKs do, e.g. http://127.0.0.1:8079); http://169.254.169.254.
// Point either of the first two at the azmsi emulator to run off Azure.
// Credential.Source reports the endpoint and why it was chosen.
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
// Concurrent callers share one upstream request.
//
// # Errors and latency
//
// errors.Is(err, ErrUnavailable) means no managed-identity endpoint here.
// Endpoint error responses are *AuthError. Neither ever contains a token.
//
// Worst case off Azure with the default client: a refused or unroutable
// connection is retried once after 50 ms, so the error arrives in
// milliseconds; a silent address costs one 500 ms dial timeout (not
// retried). On Azure, IMDS answers 404/410/429/5xx are retried with backoff
// (410 for at least 70 s) within Options.RetryBudget, 90 s by default; the
// caller's ctx cuts any wait short, but a fetch shared with other callers
// keeps running until the budget ends or Close.
package identity
