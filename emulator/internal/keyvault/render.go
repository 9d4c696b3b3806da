package keyvault

// secretURL is the id base of a secret as the client addressed the vault.
func (r *request) secretURL(name string) string {
	return "https://" + r.host.authority + "/secrets/" + name
}

// bundle renders one version of a secret. withValue only for get and set;
// versioned ids for bundles and version lists, bare ids for secret lists.
func (r *request) bundle(rec *secretRecord, v *secretVersion, withValue, versioned bool) bundleOut {
	id := r.secretURL(rec.Name)
	if versioned {
		id += "/" + v.Version
	}
	b := bundleOut{
		ID:          id,
		ContentType: v.ContentType,
		Attributes: attributesOut{
			Enabled: v.Enabled, NotBefore: v.NotBefore, Expires: v.Expires,
			Created: v.Created, Updated: v.Updated,
			RecoveryLevel: r.vault.recoveryLevel(), RecoverableDays: r.vault.retentionDays(),
		},
		Tags: v.Tags,
	}
	if b.Tags == nil {
		b.Tags = map[string]string{}
	}
	if withValue {
		s := v.Value.reveal()
		b.Value = &s
	}
	if rec.Deleted {
		b.RecoveryID = "https://" + r.host.authority + "/deletedsecrets/" + rec.Name
		dd, sp := rec.DeletedDate, rec.ScheduledPurgeDate
		b.DeletedDate, b.ScheduledPurgeDate = &dd, &sp
	}
	return b
}
