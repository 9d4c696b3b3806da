package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// checkDuplicateKeys refuses an object that names a member twice.
// encoding/json keeps the last one silently, and matches field names
// without regard to case, so "tenantId" and "TenantID" count as the same
// key; tag names are case-insensitive in ARM, so the same rule holds for
// maps. The error names the path of the repeated key.
func checkDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walkValue(dec, "$")
}

// walkValue reads one value from dec, checking every object in it.
func walkValue(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			if seen[strings.ToLower(key)] {
				return fmt.Errorf("emulator config: %s: the key %q is given twice (keys are compared without regard to case); keep one", path, key)
			}
			seen[strings.ToLower(key)] = true
			if err := walkValue(dec, path+"."+key); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walkValue(dec, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}
