// Package apiversion holds the api-versions the emulated Azure Resource
// Manager serves, one table per resource type, and decides what a request's
// api-version gets: served as sent, served as the newest known version
// ("behaves as V") when it is well formed and newer than anything known, or
// refused with ARM's 400 and the supported list.
//
// The tables are the single source for both the check and the discovery
// answers (GET /providers lists each type's apiVersions from them), so what
// the emulator advertises and what it accepts cannot drift apart.
package apiversion
