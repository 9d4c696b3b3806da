package arm

// Temporary until package identity compiles; replaced by FromIdentity.
func version() string { return "dev" }
