package assess

// Exported decoders of the packed columns, for capabilities that derive figures from them
// (internal/monitor keeps aggregates of levels and before/after changes).

// DecodeLevels reads packed current levels (competence_levels.levels) into a map from line
// code to level; malformed text is an error naming it.
func DecodeLevels(s string, into map[string]int) error { return storedLevelMap(s, into) }

// DecodeResults reads the packed scored results of a finished assessment (assessments.results):
// each line's level and, when the professional had been assessed before, the previous level.
func DecodeResults(s string) ([]LineScore, error) { return unpackResults(s) }
