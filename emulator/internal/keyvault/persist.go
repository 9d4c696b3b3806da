package keyvault

// Persister keeps secret records durably. Keys are lower case; data is an
// opaque encoding the handler owns (it holds secret values, so a
// persister stores it as is and never logs it).
type Persister interface {
	// LoadSecrets returns every stored record.
	LoadSecrets() ([]StoredSecret, error)
	// PutSecret creates or replaces the record of one secret.
	PutSecret(vault, name string, data []byte) error
	// DeleteSecret removes the record of one secret (no error if absent).
	DeleteSecret(vault, name string) error
}

// StoredSecret is one persisted record.
type StoredSecret struct {
	Vault, Name string
	Data        []byte
}
