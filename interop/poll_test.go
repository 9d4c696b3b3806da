package interop

import (
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// The emulator keeps a group "Deleting" for 2s by default; poll often so the
// test does not wait for the Retry-After the service suggests.
var runtimePollOptions = runtime.PollUntilDoneOptions{Frequency: 250 * time.Millisecond}
