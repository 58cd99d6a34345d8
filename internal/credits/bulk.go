package credits

import (
	"context"
	"database/sql"

	"esd/internal/domain"
)

// PostNewParticipations is PostParticipations for participations created in the caller's
// transaction (the seed's bulk simulation): they cannot have a ledger entry yet, so the
// lookup of existing entries is skipped; everything else is the same path: the same
// validation, one multi-row insert of the entries, the balances of every professional
// touched recomputed and stored in the same transaction, and one audit entry for the whole
// batch (not one per entry). Only the system may call it: an entry that did exist would be
// duplicated, and only the seed knows its participations are new.
func (s *Service) PostNewParticipations(ctx context.Context, tx *sql.Tx, pcs []ParticipationCredit) (PostResult, error) {
	if a := domain.ActorFrom(ctx); a.Role != domain.RoleSystem {
		return PostResult{}, domain.Forbidden("the bulk post of new participations is for the system only")
	}
	return s.postEntries(ctx, tx, pcs, true)
}
