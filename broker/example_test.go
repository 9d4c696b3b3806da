package broker_test

import (
	"context"
	"fmt"

	"github.com/azmsi/azmsi/broker"
	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// A broker in front of the emulator's IMDS, and a credential pointed at the
// broker; a second credential (another process, say) is answered from the
// broker's cache.
func Example() {
	emu, err := emulator.Start(context.Background(), emulator.Options{ARMAddr: "-"})
	if err != nil {
		panic(err)
	}
	defer emu.Close()

	b, err := broker.New(broker.Options{Upstream: identity.Options{
		Endpoint:   emu.IMDSEndpoint(),
		HTTPClient: testenv.LoopbackOnlyClient(nil),
	}})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	l, err := broker.ListenTCP("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go b.Serve(l)

	for range 2 {
		cred, err := identity.New(identity.Options{
			ID:         identity.ClientID("22222222-2222-2222-2222-222222222222"),
			Endpoint:   "http://" + l.Addr().String(), // or AZURE_POD_IDENTITY_AUTHORITY_HOST
			HTTPClient: testenv.LoopbackOnlyClient(nil),
		})
		if err != nil {
			panic(err)
		}
		tok, err := cred.Token(context.Background(), "https://vault.azure.net/.default")
		cred.Close()
		if err != nil {
			panic(err)
		}
		c, _ := identity.ParseClaims(tok.AccessToken)
		fmt.Println("token for", c.AppID)
	}
	s := b.Stats()
	fmt.Printf("served %d, upstream requests %d\n", s.ClientsServed, s.UpstreamRequests)
	// Output:
	// token for 22222222-2222-2222-2222-222222222222
	// token for 22222222-2222-2222-2222-222222222222
	// served 2, upstream requests 1
}
