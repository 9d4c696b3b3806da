package identity

// Version is the azmsi release. Every azmsi HTTP client sends it in its
// User-Agent as "azmsi/<Version>".
const Version = "0.1.0"

// userAgent is the User-Agent header of every request this package sends.
const userAgent = "azmsi/" + Version
