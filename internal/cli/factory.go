package cli

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/identity"
)

// Factory carries what one invocation shares: its streams, its environment,
// the parsed global flags, and the credential and ARM client, both built on
// first use so that --help and flag errors never touch the network.
type Factory struct {
	IO *IOStreams

	// Getenv and LookupEnv read the environment (tests inject a map).
	Getenv    func(string) string
	LookupEnv func(string) (string, bool)

	// HTTPClient, when set, carries every request of the credential and the
	// ARM client. Tests set a loopback-only client that trusts the
	// emulator's CA; nil leaves each library to build its own.
	HTTPClient *http.Client

	// InstanceTimeout bounds the instance-metadata call made to learn the
	// subscription (default 2s): it is a convenience, never worth a hang.
	InstanceTimeout time.Duration

	// PollInterval, when set, caps the wait between polls of a long-running
	// ARM operation in `rest --wait` (tests).
	PollInterval time.Duration

	// BrokerSocket is where a token broker is looked for when AZMSI_BROKER
	// is not set ("" → DefaultBrokerSocket; tests point it elsewhere).
	BrokerSocket string

	debug    bool
	noBroker bool
	cf       clientFlags

	brokerChoice brokerChoice
	brokerChosen bool
	hostCred     *identity.Credential // the host's own, for instance metadata when a broker serves tokens

	cred *identity.Credential
	armc *arm.Client
	log  *slog.Logger

	// warm runs the start-up work that ARM() begins in the background;
	// cancelWarm stops it and Close waits for it.
	warm       sync.WaitGroup
	cancelWarm context.CancelFunc
}

// NewFactory returns a Factory reading the real environment.
func NewFactory(ios *IOStreams) *Factory {
	return &Factory{IO: ios, Getenv: os.Getenv, LookupEnv: os.LookupEnv}
}

func (f *Factory) getenv(k string) string {
	if f.Getenv != nil {
		return f.Getenv(k)
	}
	return os.Getenv(k)
}

func (f *Factory) lookupEnv(k string) (string, bool) {
	if f.LookupEnv != nil {
		return f.LookupEnv(k)
	}
	if f.Getenv != nil {
		v := f.Getenv(k)
		return v, v != ""
	}
	return os.LookupEnv(k)
}

// Logger is the --debug logger (a redacted HTTP trace on stderr; the
// libraries redact), or nil.
func (f *Factory) Logger() *slog.Logger {
	if !f.debug {
		return nil
	}
	if f.log == nil {
		f.log = slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return f.log
}

// IdentityID resolves the identity flags (and AZURE_CLIENT_ID).
func (f *Factory) IdentityID() (identity.ID, error) {
	return resolveIdentity(f.cf, f.lookupEnv)
}

// Credential returns the managed-identity credential for this invocation.
func (f *Factory) Credential() (*identity.Credential, error) {
	if f.cred != nil {
		return f.cred, nil
	}
	bc, err := f.chooseBroker()
	if err != nil {
		return nil, err
	}
	endpoint := f.cf.endpoint
	if bc.Endpoint != "" {
		endpoint = bc.Endpoint
	}
	c, err := f.newCredential(endpoint)
	if err != nil {
		return nil, err
	}
	f.cred = c
	return c, nil
}

// newCredential builds the credential of the chosen identity for endpoint
// ("" → the host's, detected).
func (f *Factory) newCredential(endpoint string) (*identity.Credential, error) {
	id, err := f.IdentityID()
	if err != nil {
		return nil, err
	}
	c, err := identity.New(identity.Options{
		ID:         id,
		Endpoint:   endpoint,
		HTTPClient: f.HTTPClient,
		Logger:     f.Logger(),
		Getenv:     f.getenv,
	})
	if err != nil {
		// New does no network I/O: whatever it refuses is configuration.
		return nil, asFlagError(err)
	}
	return c, nil
}

// token gets a token for resource as the chosen identity, and the
// credential that got it.
func (f *Factory) token(ctx context.Context, resource string) (identity.Token, *identity.Credential, error) {
	cred, err := f.Credential()
	if err != nil {
		return identity.Token{}, nil, err
	}
	tok, err := cred.Token(ctx, resource)
	return tok, cred, err
}

// ARM returns the ARM client, authenticated by Credential.
func (f *Factory) ARM() (*arm.Client, error) {
	if f.armc != nil {
		return f.armc, nil
	}
	cred, err := f.Credential()
	if err != nil {
		return nil, err
	}
	c, err := arm.New(arm.Options{
		Credential: arm.FromIdentity(cred),
		Endpoint:   f.cf.armEndpoint,
		HTTPClient: f.HTTPClient,
		Logger:     f.Logger(),
		Getenv:     f.getenv,
		UserAgent:  "azmsi-cli",
	})
	if err != nil {
		return nil, asFlagError(err)
	}
	f.armc = c
	f.startWarmUp(cred, c.Cloud().Audience)
	return c, nil
}

// startWarmUp overlaps the two slow steps before the first ARM answer, which
// a command would otherwise do one after the other: asking the identity
// endpoint for the ARM token (the command's first ARM request joins this
// fetch through the credential's single-flight cache), and loading the
// system root certificates, which Go does on the first TLS handshake by
// parsing every file in /etc/ssl/certs (about 14 ms on a VM, the largest
// part of a short command). Errors are left for the real calls to report.
func (f *Factory) startWarmUp(cred *identity.Credential, audience string) {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancelWarm = cancel
	f.warm.Add(1)
	go func() {
		defer f.warm.Done()
		_, _ = cred.Token(ctx, audience)
	}()
	if f.HTTPClient == nil { // a caller's client brings its own roots
		f.warm.Add(1)
		go func() {
			defer f.warm.Done()
			_, _ = x509.SystemCertPool()
		}()
	}
}

// Close stops the warm-up and releases the credential's background work.
func (f *Factory) Close() {
	if f.cancelWarm != nil {
		f.cancelWarm()
	}
	f.warm.Wait()
	if f.cred != nil {
		_ = f.cred.Close()
	}
	if f.hostCred != nil {
		_ = f.hostCred.Close()
	}
}

func (f *Factory) instanceTimeout() time.Duration {
	if f.InstanceTimeout > 0 {
		return f.InstanceTimeout
	}
	return 2 * time.Second
}

// instance asks IMDS for the VM's instance metadata when the identity
// endpoint is IMDS-like, within a short deadline. ok is false otherwise.
func (f *Factory) instance(ctx context.Context) (identity.Instance, bool, error) {
	cred, err := f.Credential()
	if err != nil {
		return identity.Instance{}, false, err
	}
	if f.brokerChoice.Endpoint != "" {
		// A broker serves tokens only: the instance metadata is the host's.
		if f.hostCred == nil {
			if f.hostCred, err = f.newCredential(f.cf.endpoint); err != nil {
				return identity.Instance{}, false, err
			}
		}
		cred = f.hostCred
	}
	if !isIMDSLike(cred.Source()) {
		return identity.Instance{}, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, f.instanceTimeout())
	defer cancel()
	in, err := cred.Instance(ctx)
	if err != nil {
		return identity.Instance{}, false, err
	}
	return in, true, nil
}
