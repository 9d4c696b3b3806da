// Package armwire writes the JSON strings and string maps of the emulator's
// ARM answers without reflection, byte for byte as encoding/json writes them.
// Both ARM services (internal/arm and internal/resources) encode their hot
// list pages by hand, and their output must not drift from encoding/json's
// escaping or key order; this package is the one place that rule lives.
package armwire
