// Package imdsv2 asks an Azure VM's Instance Metadata Service whether it
// offers IMDSv2 ("MSI v2": certificate-bound managed-identity tokens,
// protocols-2026 §23.6), for `azmsi doctor`. It only reports: azmsi never
// requires IMDSv2 and never uses it to get a token (bearer tokens come from
// IMDSv1 as before). The probe is one GET of
// /metadata/identity/getplatformmetadata?cred-api-version=2.0 with
// "Metadata: true", as MSAL.NET sends it; a VM that has only IMDSv1
// answers 404.
package imdsv2
