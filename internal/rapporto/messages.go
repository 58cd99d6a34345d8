package rapporto

// italian maps each English message format of the package (and of package cf) to Italian.
var italian = map[string]string{}
