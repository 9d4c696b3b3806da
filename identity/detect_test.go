package identity

import (
	"strings"
	"testing"
)

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestDetectPrecedence is the documented detection order as a table of
// environments.
func TestDetectPrecedence(t *testing.T) {
	const ep, sec = "http://127.0.0.1:1/token", "s3cr3t-value"
	tests := []struct {
		name     string
		env      map[string]string
		himds    bool
		want     string
		evidence []string
	}{
		{"nothing", nil, false, HostIMDS, nil},
		{"pod identity host", map[string]string{"AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:8079"}, false, HostIMDS, []string{"AZURE_POD_IDENTITY_AUTHORITY_HOST"}},
		{"app service", map[string]string{"IDENTITY_ENDPOINT": ep, "IDENTITY_HEADER": sec}, false, HostAppService, []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER"}},
		{"service fabric", map[string]string{"IDENTITY_ENDPOINT": ep, "IDENTITY_HEADER": sec, "IDENTITY_SERVER_THUMBPRINT": "ab"}, false, HostServiceFabric, []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT"}},
		{"container apps", map[string]string{"IDENTITY_ENDPOINT": ep, "IDENTITY_HEADER": sec, "CONTAINER_APP_NAME": "app1"}, false, HostContainerApps, []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "CONTAINER_APP_NAME"}},
		{"container apps job", map[string]string{"IDENTITY_ENDPOINT": ep, "IDENTITY_HEADER": sec, "CONTAINER_APP_JOB_NAME": "job1"}, false, HostContainerApps, []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "CONTAINER_APP_JOB_NAME"}},
		{"service fabric beats container apps", map[string]string{"IDENTITY_ENDPOINT": ep, "IDENTITY_HEADER": sec, "IDENTITY_SERVER_THUMBPRINT": "ab", "CONTAINER_APP_NAME": "app1"}, false, HostServiceFabric, nil},
		{"app service beats MSI_*", map[string]string{"IDENTITY_ENDPOINT": ep, "IDENTITY_HEADER": sec, "MSI_ENDPOINT": ep, "MSI_SECRET": sec}, false, HostAppService, nil},
		{"app service beats arc", map[string]string{"IDENTITY_ENDPOINT": ep, "IDENTITY_HEADER": sec, "IMDS_ENDPOINT": "http://127.0.0.1:2"}, true, HostAppService, nil},
		{"empty header does not count", map[string]string{"IDENTITY_ENDPOINT": ep, "IDENTITY_HEADER": " "}, false, HostIMDS, nil},
		{"legacy app service", map[string]string{"MSI_ENDPOINT": ep, "MSI_SECRET": sec, "APPSETTING_WEBSITE_SITE_NAME": "site"}, false, HostAppService2017, []string{"MSI_ENDPOINT", "MSI_SECRET", "APPSETTING_WEBSITE_SITE_NAME"}},
		{"legacy app service by WEBSITE_SITE_NAME", map[string]string{"MSI_ENDPOINT": ep, "MSI_SECRET": sec, "WEBSITE_SITE_NAME": "site"}, false, HostAppService2017, []string{"MSI_ENDPOINT", "MSI_SECRET", "WEBSITE_SITE_NAME"}},
		{"azure ml", map[string]string{"MSI_ENDPOINT": ep, "MSI_SECRET": sec, "DEFAULT_IDENTITY_CLIENT_ID": testCID}, false, HostAzureML, []string{"MSI_ENDPOINT", "MSI_SECRET", "DEFAULT_IDENTITY_CLIENT_ID"}},
		{"site name beats ML default id", map[string]string{"MSI_ENDPOINT": ep, "MSI_SECRET": sec, "DEFAULT_IDENTITY_CLIENT_ID": testCID, "APPSETTING_WEBSITE_SITE_NAME": "s"}, false, HostAppService2017, nil},
		{"MSI pair without evidence is azure ml", map[string]string{"MSI_ENDPOINT": ep, "MSI_SECRET": sec}, false, HostAzureML, []string{"MSI_ENDPOINT", "MSI_SECRET"}},
		{"cloud shell", map[string]string{"MSI_ENDPOINT": ep}, false, HostCloudShell, []string{"MSI_ENDPOINT"}},
		{"cloud shell beats arc", map[string]string{"MSI_ENDPOINT": ep, "IDENTITY_ENDPOINT": ep, "IMDS_ENDPOINT": "http://127.0.0.1:2"}, false, HostCloudShell, nil},
		{"empty MSI_SECRET is cloud shell", map[string]string{"MSI_ENDPOINT": ep, "MSI_SECRET": ""}, false, HostCloudShell, nil},
		{"arc by variables", map[string]string{"IDENTITY_ENDPOINT": ep, "IMDS_ENDPOINT": "http://127.0.0.1:2"}, false, HostArc, []string{"IDENTITY_ENDPOINT", "IMDS_ENDPOINT"}},
		{"arc by agent", nil, true, HostArc, nil},
		{"IDENTITY_ENDPOINT alone is imds", map[string]string{"IDENTITY_ENDPOINT": ep}, false, HostIMDS, nil},
		{"IMDS_ENDPOINT alone is imds", map[string]string{"IMDS_ENDPOINT": ep}, false, HostIMDS, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := detect(mapEnv(tt.env), func(string) bool { return tt.himds })
			if d.Host != tt.want {
				t.Fatalf("host = %s, want %s (%+v)", d.Host, tt.want, d)
			}
			if d.Name != hostDisplayName[tt.want] || d.Reason == "" {
				t.Fatalf("detection = %+v", d)
			}
			if tt.evidence != nil && strings.Join(d.Evidence, ",") != strings.Join(tt.evidence, ",") {
				t.Fatalf("evidence = %v, want %v", d.Evidence, tt.evidence)
			}
			for _, v := range tt.env {
				if len(v) > 3 && strings.Contains(d.Reason, v) {
					t.Fatalf("reason quotes a value: %s", d.Reason)
				}
			}
		})
	}
}

// TestNewSelectsDetectedHost checks that New follows detection, that
// Options.Host forces a host, that Options.Endpoint alone means IMDS, and
// that Source() says why.
func TestNewSelectsDetectedHost(t *testing.T) {
	const ep = "http://127.0.0.1:1/msi/token"
	appEnv := map[string]string{"IDENTITY_ENDPOINT": ep, "IDENTITY_HEADER": "hdr-secret"}
	tests := []struct {
		name               string
		o                  Options
		host, endpoint, rs string
	}{
		{"detected", Options{Getenv: mapEnv(appEnv)}, HostAppService, ep, "IDENTITY_ENDPOINT and IDENTITY_HEADER"},
		{"forced", Options{Host: "CloudShell", Getenv: mapEnv(map[string]string{"MSI_ENDPOINT": ep})}, HostCloudShell, ep, "Options.Host"},
		{"forced with endpoint", Options{Host: "appservice", Endpoint: "http://127.0.0.1:9/x", Getenv: mapEnv(appEnv)}, HostAppService, "http://127.0.0.1:9/x", "Options.Host"},
		{"endpoint means imds", Options{Endpoint: "http://127.0.0.1:9", Getenv: mapEnv(appEnv)}, HostIMDS, "http://127.0.0.1:9", "Options.Endpoint"},
		{"forced imds", Options{Host: "imds", Getenv: mapEnv(map[string]string{"AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:7", "IDENTITY_ENDPOINT": ep, "IDENTITY_HEADER": "x"})}, HostIMDS, "http://127.0.0.1:7", "AZURE_POD_IDENTITY_AUTHORITY_HOST"},
		{"arc default endpoint", Options{Host: "arc", ArcKeyDir: "/tmp", Getenv: mapEnv(nil)}, HostArc, defaultArcEndpoint, "Options.Host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			info := c.Source()
			if info.Host != tt.host || info.Endpoint != tt.endpoint || !strings.Contains(info.Reason, tt.rs) || info.Name != hostDisplayName[tt.host] {
				t.Fatalf("Source() = %+v", info)
			}
			if s := info.Reason + info.Endpoint + c.String(); strings.Contains(s, "hdr-secret") {
				t.Fatalf("secret in Source(): %s", s)
			}
		})
	}
}

func TestNewHostErrors(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"unknown host", Options{Host: "lambda"}, `unknown Options.Host "lambda"`},
		{"app service without header", Options{Host: "appservice", Getenv: mapEnv(map[string]string{"IDENTITY_ENDPOINT": "http://127.0.0.1:1/t"})}, "needs the secret IDENTITY_HEADER"},
		{"app service without endpoint", Options{Host: "appservice", Getenv: mapEnv(map[string]string{"IDENTITY_HEADER": "x"})}, "needs IDENTITY_ENDPOINT"},
		{"bad endpoint", Options{Getenv: mapEnv(map[string]string{"IDENTITY_ENDPOINT": "127.0.0.1:1/t", "IDENTITY_HEADER": "x"})}, "from IDENTITY_ENDPOINT"},
		{"header with newline", Options{Getenv: mapEnv(map[string]string{"IDENTITY_ENDPOINT": "http://127.0.0.1:1/t", "IDENTITY_HEADER": "a\nb"})}, "line break"},
		{"sf over http", Options{Getenv: mapEnv(map[string]string{"IDENTITY_ENDPOINT": "http://127.0.0.1:1/t", "IDENTITY_HEADER": "x", "IDENTITY_SERVER_THUMBPRINT": strings.Repeat("A", 40)})}, "must use HTTPS"},
		{"sf bad thumbprint", Options{Getenv: mapEnv(map[string]string{"IDENTITY_ENDPOINT": "https://127.0.0.1:1/t", "IDENTITY_HEADER": "x", "IDENTITY_SERVER_THUMBPRINT": "not-a-thumbprint"})}, "must be a SHA-1 certificate thumbprint"},
		{"arc relative key dir", Options{Host: "arc", ArcKeyDir: "tokens", Getenv: mapEnv(nil)}, "must be an absolute path"},
		{"cloud shell uami", Options{ID: ClientID(testCID), Getenv: mapEnv(map[string]string{"MSI_ENDPOINT": "http://127.0.0.1:1/t"})}, "Cloud Shell cannot select an identity by client ID; it supports: system-assigned"},
		{"sf client id", Options{ID: ClientID(testCID), Getenv: mapEnv(map[string]string{"IDENTITY_ENDPOINT": "https://127.0.0.1:1/t", "IDENTITY_HEADER": "x", "IDENTITY_SERVER_THUMBPRINT": strings.Repeat("ab:", 19) + "ab"})}, "Service Fabric cannot select an identity by client ID; it supports: system-assigned, object ID"},
		{"sf resource id", Options{ID: ResourceID(testMIID), Getenv: mapEnv(map[string]string{"IDENTITY_ENDPOINT": "https://127.0.0.1:1/t", "IDENTITY_HEADER": "x", "IDENTITY_SERVER_THUMBPRINT": strings.Repeat("ab:", 19) + "ab"})}, "Service Fabric cannot select an identity by resource ID; it supports: system-assigned, object ID"},
		{"ml object id", Options{ID: ObjectID(testOID), Getenv: mapEnv(map[string]string{"MSI_ENDPOINT": "http://127.0.0.1:1/t", "MSI_SECRET": "x"})}, "Azure ML cannot select an identity by object ID; it supports: system-assigned, client ID"},
		{"legacy resource id", Options{ID: ResourceID(testMIID), Getenv: mapEnv(map[string]string{"MSI_ENDPOINT": "http://127.0.0.1:1/t", "MSI_SECRET": "x", "WEBSITE_SITE_NAME": "s"})}, "App Service (2017-09-01) cannot select an identity by resource ID; it supports: system-assigned, client ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ~%q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
		})
	}
}

func TestParseThumbprint(t *testing.T) {
	want := "0123456789abcdef0123456789abcdef01234567"
	for _, in := range []string{want, strings.ToUpper(want), "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67", " 0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 "} {
		got, err := parseThumbprint(in)
		if err != nil || strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(in, ":", ""), " ", "")) != want || got[0] != 0x01 || got[19] != 0x67 {
			t.Fatalf("parseThumbprint(%q) = %x, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "zz" + want[2:], want[:38], want + "00", "sha1:" + want} {
		if _, err := parseThumbprint(in); err == nil {
			t.Fatalf("parseThumbprint(%q) accepted", in)
		}
	}
}

// TestDetectContainerAppsThroughIMDS: the variant without IDENTITY_ENDPOINT
// (thumbprint and IDENTITY_API_VERSION only) is IMDS, named Container Apps,
// with the variables as evidence but never their values.
func TestDetectContainerAppsThroughIMDS(t *testing.T) {
	env := map[string]string{"CONTAINER_APP_NAME": "app1", "IDENTITY_HEADER": "hdr-CANARY-value", "IDENTITY_SERVER_THUMBPRINT": "AB12", "IDENTITY_API_VERSION": "2020-05-01"}
	d := detect(mapEnv(env), func(string) bool { return false })
	if d.Host != HostIMDS || d.Name != "Container Apps (through IMDS)" {
		t.Fatalf("detection = %+v", d)
	}
	if got := strings.Join(d.Evidence, ","); got != "CONTAINER_APP_NAME,IDENTITY_HEADER,IDENTITY_SERVER_THUMBPRINT,IDENTITY_API_VERSION" {
		t.Fatalf("evidence = %s", got)
	}
	if strings.Contains(d.Reason, "CANARY") || !strings.Contains(d.Reason, "IMDS") {
		t.Fatalf("reason = %s", d.Reason)
	}
	// The credential then uses IMDS (its address, or the override).
	c, err := New(Options{Getenv: mapEnv(env), Endpoint: "http://127.0.0.1:1"})
	if err != nil || c.Source().Host != HostIMDS {
		t.Fatalf("New: %v", err)
	}
	c.Close()
}
