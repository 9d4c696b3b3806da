package identity

import (
	"strings"
	"testing"
	"time"
)

func TestParseTokenResponse(t *testing.T) {
	now := time.Unix(1700000000, 0).UTC()
	at := func(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
	tests := []struct {
		name      string
		body      string
		wantExp   time.Time
		wantType  string
		wantRes   string
		wantRefr  time.Time // zero: not checked
		wantErr   string
		wantEchoC string
	}{
		// protocols.md §15.9
		{name: "expires_in number", body: `{"access_token":"t","expires_in":3600,"token_type":"Bearer"}`, wantExp: now.Add(time.Hour), wantType: "Bearer"},
		{name: "expires_on string", body: `{"access_token":"t","expires_on":"1700003600","resource":"r","token_type":"Bearer"}`, wantExp: at(1700003600), wantRes: "r"},
		{name: "expires_on number", body: `{"access_token":"t","expires_on":1700003600,"resource":"r","token_type":"Bearer"}`, wantExp: at(1700003600)},
		{name: "expires_on garbage", body: `{"access_token":"t","expires_in":"","expires_on":"15609740s28","resource":"r","token_type":"Bearer"}`, wantErr: "expires_on"},
		{name: "numeric access_token", body: `{"access_token":0,"expires_in":3600}`, wantErr: "access_token: got a JSON number"},
		{name: "truncated", body: `{"access_token":"t","expires_in":3600,"token_type":"Bearer"`, wantErr: "truncated JSON"},
		{name: "no expiry", body: `{"access_token":"t","token_type":"Bearer"}`, wantErr: "neither expires_on nor expires_in"},
		{name: "no token_type", body: `{"access_token":"t","expires_in":3600}`, wantExp: now.Add(time.Hour), wantType: "Bearer"},
		{name: "refresh_in", body: `{"access_token":"first token","expires_in":86400,"refresh_in":43200,"token_type":"Bearer"}`, wantExp: now.Add(24 * time.Hour), wantRefr: now.Add(12 * time.Hour)},
		{name: "not json", body: `not json`, wantErr: "not a JSON object"},
		{name: "array", body: `[1]`, wantErr: "not a JSON object"},
		{name: "empty token", body: `{"access_token":"","expires_in":3600}`, wantErr: "no access_token"},
		{name: "missing token", body: `{"expires_in":3600}`, wantErr: "no access_token"},
		{name: "null token", body: `{"access_token":null,"expires_in":3600}`, wantErr: "no access_token"},
		// IMDS §15.1: every primitive a string, echoes client_id
		{name: "imds", body: `{"access_token":"eyJ0","client_id":"CID","expires_in":"86399","expires_on":"1700086399","ext_expires_in":"86399","not_before":"1700000000","resource":"https://management.azure.com/","token_type":"Bearer"}`,
			wantExp: at(1700086399), wantRes: "https://management.azure.com/", wantEchoC: "CID"},
		{name: "expires_in string wins when expires_on empty", body: `{"access_token":"t","expires_in":"60","expires_on":""}`, wantExp: now.Add(time.Minute)},
		{name: "expires_in decimal", body: `{"access_token":"t","expires_in":3600.0}`, wantExp: now.Add(time.Hour)},
		{name: "expires_in negative", body: `{"access_token":"t","expires_in":-1}`, wantErr: "out of range"},
		{name: "expires_in huge", body: `{"access_token":"t","expires_in":99999999999999}`, wantErr: "out of range"},
		{name: "expires_in bool", body: `{"access_token":"t","expires_in":true}`, wantErr: "want a number"},
		{name: "expires_on negative", body: `{"access_token":"t","expires_on":-5}`, wantErr: "out of range"},
		{name: "token_type other", body: `{"access_token":"t","expires_in":1,"token_type":"pop"}`, wantExp: now.Add(time.Second), wantType: "pop"},
		// §15.4 App Service 2017 date strings
		{name: "linux date", body: `{"access_token":"t","expires_on":"01/01/1970 00:00:42 +00:00"}`, wantExp: at(42)},
		{name: "windows date", body: `{"access_token":"t","expires_on":"1/1/1970 12:00:42 AM +00:00"}`, wantExp: at(42)},
		{name: "linux date 2019", body: `{"access_token":"t","expires_on":"06/20/2019 02:57:58 +00:00"}`, wantExp: at(1560999478)},
		{name: "windows date 2020", body: `{"access_token":"t","expires_on":"1/16/2020 5:24:12 AM +00:00"}`, wantExp: at(1579152252)},
		{name: "doc sample 00 PM", body: `{"access_token":"t","expires_on":"09/14/2017 00:00:00 PM +00:00"}`, wantExp: time.Date(2017, 9, 14, 12, 0, 0, 0, time.UTC)},
		{name: "no offset", body: `{"access_token":"t","expires_on":"06/20/2019 02:57:58"}`, wantExp: at(1560999478)},
		{name: "offset applied", body: `{"access_token":"t","expires_on":"06/20/2019 04:57:58 +02:00"}`, wantExp: at(1560999478)},
		{name: "iso", body: `{"access_token":"t","expires_on":"2019-06-20 02:57:58"}`, wantExp: at(1560999478)},
		{name: "rfc3339", body: `{"access_token":"t","expires_on":"2019-06-20T02:57:58Z"}`, wantExp: at(1560999478)},
		{name: "epoch string", body: `{"access_token":"t","expires_on":"1560999478"}`, wantExp: at(1560999478)},
		{name: "resource number", body: `{"access_token":"t","expires_in":1,"resource":5}`, wantErr: "resource: got a JSON number"},
		{name: "mi_res_id alias", body: `{"access_token":"t","expires_in":1,"mi_res_id":"/x"}`, wantExp: now.Add(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseTokenResponse([]byte(tt.body), now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !r.ExpiresOn.Equal(tt.wantExp) {
				t.Errorf("ExpiresOn = %v, want %v", r.ExpiresOn, tt.wantExp)
			}
			if tt.wantType != "" && r.Type != tt.wantType {
				t.Errorf("Type = %q, want %q", r.Type, tt.wantType)
			}
			if tt.wantRes != "" && r.Resource != tt.wantRes {
				t.Errorf("Resource = %q", r.Resource)
			}
			if !tt.wantRefr.IsZero() && !r.RefreshOn.Equal(tt.wantRefr) {
				t.Errorf("RefreshOn = %v, want %v", r.RefreshOn, tt.wantRefr)
			}
			if r.ClientID != tt.wantEchoC {
				t.Errorf("ClientID = %q, want %q", r.ClientID, tt.wantEchoC)
			}
		})
	}
}

func TestParseErrorsNeverQuoteToken(t *testing.T) {
	const canary = "CANARY-SECRET-0123456789"
	bodies := []string{
		`{"access_token":"` + canary + `","expires_on":"bad"}`,
		`{"access_token":"` + canary + `"}`,
		`{"access_token":"` + canary + `","expires_in":3600`,
		`{"access_token":"` + canary + `","expires_in":{}}`,
		`{"access_token":"` + canary + `","token_type":7,"expires_in":1}`,
	}
	for _, b := range bodies {
		_, err := parseTokenResponse([]byte(b), time.Now())
		if err == nil {
			t.Fatalf("%s: no error", b)
		}
		if strings.Contains(err.Error(), canary) {
			t.Fatalf("error quotes the token: %v", err)
		}
	}
}

func TestRefreshOnRule(t *testing.T) {
	now := time.Unix(1700000000, 0)
	tests := []struct {
		life, refreshIn, want time.Duration
	}{
		{24 * time.Hour, 0, 12 * time.Hour},
		{3 * time.Hour, 0, 90 * time.Minute},
		{2 * time.Hour, 0, 2*time.Hour - 5*time.Minute},
		{time.Hour, 0, 55 * time.Minute},
		{2 * time.Minute, 0, time.Minute},
		{-time.Minute, 0, 0},
		{24 * time.Hour, time.Hour, time.Hour},
		{time.Hour, 2 * time.Hour, 55 * time.Minute}, // refresh_in beyond expiry ignored
	}
	for _, tt := range tests {
		got := refreshOn(now, now.Add(tt.life), tt.refreshIn).Sub(now)
		if got != tt.want {
			t.Errorf("refreshOn(life %v, refresh_in %v) = +%v, want +%v", tt.life, tt.refreshIn, got, tt.want)
		}
	}
}
