// Package armwire holds the JSON wire rules both of the emulator's ARM
// services (internal/arm and internal/resources) follow, so that they live
// in one place and cannot drift apart: strings and string maps written
// without reflection, byte for byte as encoding/json writes them (the hot
// list pages are encoded by hand), and the nesting-depth guard every
// request body passes before it reaches json.Decoder.
package armwire
