package xapi

// Helpers for the privacy capability (GDPR export and erasure), which finds a professional's
// statements by the account identity their provider registered and must read the packed form.

// AccountKey is the stored agent identity of an xAPI account (homePage and name), the form
// documents are filed under.
func AccountKey(homePage, name string) string { return "account:" + homePage + "|" + name }

// AccountKeyHash is the key_hash under which xapi_statement_keys indexes that account.
func AccountKeyHash(homePage, name string) int64 { return keyHash(AccountKey(homePage, name)) }

// StatementJSON rebuilds the JSON of a stored statement from its row's id, stored time,
// credential authority (may be empty) and packed raw column.
func StatementJSON(id, stored, authority string, raw []byte) (map[string]any, error) {
	return decodeStored(id, stored, authority, raw)
}
