package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
)

const (
	arcAPIVersion      = "2020-06-01"
	defaultArcEndpoint = "http://127.0.0.1:40342/metadata/identity/oauth2/token"
	arcMaxKeySize      = 4096
)

// arcSource speaks the Azure Arc agent's (himds) protocol (protocols.md §7):
// an IMDS-like GET answered first by 401 with WWW-Authenticate: Basic
// realm=<key file>; the key file's content proves the caller may read the
// agent's token folder and is sent back as Authorization: Basic <content>.
// Selectors are client_id, object_id and msi_res_id (as MSAL Go sends);
// since an older agent may ignore them, the token response must echo the
// selector (fail closed, protocols.md §7.3).
type arcSource struct {
	endpoint string // full token URL
	keyDir   string // the only folder key files are read from; "" → unsupported platform
	reason   string

	lastKey atomic.Pointer[string] // the key last read, only to redact echoes of it
}

// newArcSource reads IDENTITY_ENDPOINT (default the agent's local address)
// and the key folder: Options.ArcKeyDir, else $AZMSI_ARC_KEY_DIR, else the
// platform's.
func newArcSource(h hostEnv) (source, error) {
	ep, err := h.endpoint(envIdentityEndpoint, defaultArcEndpoint)
	if err != nil {
		return nil, err
	}
	dir := h.opts.ArcKeyDir
	if dir == "" {
		dir = h.env(EnvArcKeyDir)
	}
	if dir == "" {
		dir = defaultArcKeyDir(h.getenv)
	}
	if dir != "" && !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("identity: the Azure Arc key folder %q must be an absolute path", dir)
	}
	return &arcSource{endpoint: ep, keyDir: dir, reason: h.reason}, nil
}

// defaultArcKeyDir is the platform's Arc token folder, "" where Arc does not
// exist.
func defaultArcKeyDir(getenv func(string) string) string {
	switch runtime.GOOS {
	case "linux":
		return "/var/opt/azcmagent/tokens"
	case "windows":
		if pd := getenv("ProgramData"); pd != "" {
			return filepath.Join(pd, "AzureConnectedMachineAgent", "Tokens")
		}
	}
	return ""
}

func (s *arcSource) secrets() []string {
	if k := s.lastKey.Load(); k != nil {
		return []string{*k}
	}
	return nil
}

func (s *arcSource) info() SourceInfo {
	return SourceInfo{Name: hostDisplayName[HostArc], Host: HostArc, Endpoint: s.endpoint, Reason: s.reason}
}

func (s *arcSource) hostNoun() string         { return "Arc machine" }
func (s *arcSource) supports(IDKind) bool     { return true }
func (s *arcSource) retryPolicy() retryPolicy { return hostRetryPolicy() }

func (s *arcSource) tokenRequest(ctx context.Context, resource string, id ID) (*http.Request, error) {
	return newGet(ctx, s.endpoint, tokenQuery(arcAPIVersion, resource, id, imdsSelectors), "Metadata", "true")
}

// answer validates the realm and reads the key file (rules in readArcKey).
func (s *arcSource) answer(ex *exchange) (string, error) {
	h := ex.header.Get("WWW-Authenticate")
	if h == "" {
		return "", fmt.Errorf("identity: Azure Arc at %s answered 401 without a WWW-Authenticate header; expected \"Basic realm=<key file>\"", s.endpoint)
	}
	const prefix = "basic realm="
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", fmt.Errorf("identity: Azure Arc at %s sent WWW-Authenticate %q; expected \"Basic realm=<key file>\"", s.endpoint, sanitize(h, 120))
	}
	path := strings.Trim(strings.TrimSpace(h[len(prefix):]), `"`)
	if path == "" {
		return "", fmt.Errorf("identity: Azure Arc at %s sent a challenge whose realm names no key file", s.endpoint)
	}
	key, err := readArcKey(path, s.keyDir)
	if err != nil {
		return "", err
	}
	k := string(key)
	s.lastKey.Store(&k)
	return "Basic " + string(key), nil
}

// ErrArcKeyRefused is matched (errors.Is) by every refusal of the key file
// an Azure Arc challenge names.
//
//lint:ignore ST1005 "Azure Arc" is a proper noun.
var ErrArcKeyRefused = errors.New("Azure Arc key file refused")

func arcKeyError(rule, format string, args ...any) error {
	return fmt.Errorf("identity: %w: %s (rule: %s)", ErrArcKeyRefused, fmt.Sprintf(format, args...), rule)
}

// readArcKey reads the key file named by an Arc challenge, accepting it only
// if it is an absolute path directly inside dir (after resolving symbolic
// links of the folder), ends in .key, is a regular file (not a symbolic
// link) and holds at most 4096 bytes. The content is returned only to be
// sent back; it never appears in an error.
func readArcKey(path, dir string) ([]byte, error) {
	if dir == "" {
		return nil, arcKeyError("supported platform", "Azure Arc keeps its key files in a platform folder only on Linux and Windows; set Options.ArcKeyDir or %s", EnvArcKeyDir)
	}
	if !filepath.IsAbs(path) {
		return nil, arcKeyError("absolute path inside "+dir, "the challenge names %q, which is not an absolute path", sanitize(path, 200))
	}
	clean := filepath.Clean(path)
	cleanDir := filepath.Clean(dir)
	if filepath.Dir(clean) != cleanDir {
		return nil, arcKeyError("inside the key folder", "the challenge names %q, which is not directly inside %s", sanitize(path, 200), cleanDir)
	}
	if filepath.Ext(clean) != ".key" {
		return nil, arcKeyError(".key extension", "the challenge names %q; expected a file ending in .key", sanitize(path, 200))
	}
	fi, err := os.Lstat(clean)
	if err != nil {
		return nil, arcKeyFileError(clean, err)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, arcKeyError("no symbolic link", "%s is a symbolic link", clean)
	case !fi.Mode().IsRegular():
		return nil, arcKeyError("regular file", "%s is not a regular file (%s)", clean, fi.Mode().Type())
	case fi.Size() > arcMaxKeySize:
		return nil, arcKeyError("at most 4096 bytes", "%s holds %d bytes", clean, fi.Size())
	}
	// The folder itself may be a symbolic link (e.g. /var → /private/var);
	// the resolved file must still be inside the resolved folder.
	realDir, err := filepath.EvalSymlinks(cleanDir)
	if err != nil {
		return nil, arcKeyFileError(cleanDir, err)
	}
	realPath, err := filepath.EvalSymlinks(clean)
	if err != nil {
		return nil, arcKeyFileError(clean, err)
	}
	if filepath.Dir(realPath) != realDir {
		return nil, arcKeyError("inside the key folder", "%s resolves to %s, outside %s", clean, realPath, realDir)
	}
	f, err := os.Open(clean)
	if err != nil {
		return nil, arcKeyFileError(clean, err)
	}
	defer f.Close()
	// The file checked above must be the file opened (no swap in between).
	if ofi, err := f.Stat(); err != nil || !os.SameFile(fi, ofi) || !ofi.Mode().IsRegular() {
		return nil, arcKeyError("regular file", "%s changed while it was being read", clean)
	}
	key, err := io.ReadAll(io.LimitReader(f, arcMaxKeySize+1))
	if err != nil {
		return nil, arcKeyFileError(clean, err)
	}
	if len(key) > arcMaxKeySize {
		return nil, arcKeyError("at most 4096 bytes", "%s holds more than %d bytes", clean, arcMaxKeySize)
	}
	if len(key) == 0 {
		return nil, arcKeyError("non-empty key", "%s is empty", clean)
	}
	for _, b := range key {
		if b < 0x20 && b != '\t' || b == 0x7f {
			return nil, arcKeyError("printable key", "%s holds control characters, which cannot be sent in a header", clean)
		}
	}
	return key, nil
}

// arcKeyFileError explains an I/O failure on the key file; permission is the
// common one (the folder is readable only by root and the himds group).
func arcKeyFileError(path string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("identity: %w: no permission to read %s; run as root or add this user to the himds group (Linux) or the Hybrid Agent Extension Applications group (Windows): %w", ErrArcKeyRefused, path, fs.ErrPermission)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("identity: %w: %s does not exist", ErrArcKeyRefused, path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("identity: %w: cannot read %s: %v", ErrArcKeyRefused, path, err)
}

// checkEcho fails closed unless the response names the requested
// user-assigned identity (compared case-insensitively): an agent that
// ignores the selector would otherwise hand out the system identity.
func (s *arcSource) checkEcho(id ID, r tokenResponse) error {
	var got, field string
	switch id.Kind() {
	case SystemAssigned:
		return nil
	case ClientIDKind:
		got, field = r.ClientID, "client_id"
	case ObjectIDKind:
		got, field = r.ObjectID, "object_id"
	case ResourceIDKind:
		got, field = r.MIResID, "msi_res_id"
	}
	if !strings.EqualFold(got, id.Value()) {
		if got == "" {
			got = "nothing"
		}
		return fmt.Errorf("identity: Azure Arc did not confirm the requested user-assigned identity (%s): the token response's %s is %s; the agent may not support user-assigned identities", id, field, sanitize(got, 200))
	}
	return nil
}
