package app

import (
	"context"
	"fmt"

	"esd/internal/monitor"
)

// monitorCaps holds the services of the monitoring capability.
type monitorCaps struct {
	// Monitor keeps the programme's aggregates current and serves the dashboards.
	Monitor *monitor.Service
}

// wireMonitor builds the monitoring capability: the aggregates (kept current by database
// triggers and a background refresher), the dashboards and the rebuild command. It comes
// last: it reads what every other capability writes, and none of them calls it.
func wireMonitor(m *Main) error {
	svc := monitor.New(m.DB, m.Log)
	m.Monitor = svc
	m.modules = append(m.modules, monitor.WebModule{S: svc})
	m.starters = append(m.starters, namedFunc{"monitor refresher", func(ctx context.Context) error {
		// The refresher lives as long as the platform; it starts at the first monitoring
		// request (see monitor.Service.Start).
		svc.SetBackground(ctx)
		return nil
	}})
	m.demos = append(m.demos, namedFunc{"monitor", func(ctx context.Context) error {
		// The demo world was written after the start-up steps: count it now (a full build the
		// first time, then only what changed, so a second load writes nothing).
		_, err := svc.Refresh(ctx)
		return err
	}})
	return nil
}

func init() {
	registerCommand(Command{Path: "aggregates rebuild", Usage: "   ricalcola tutti gli aggregati del monitoraggio dalle fonti",
		Run: func(ctx context.Context, m *Main, args []string) error {
			st, err := m.Monitor.Rebuild(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "aggregati ricalcolati: %d professionisti, %d celle in %s\n", st.Professionals, st.Cells, st.Duration.Round(1e6))
			return nil
		}})
	registerCommand(Command{Path: "aggregates refresh", Usage: "   conta i professionisti in attesa (coda delle modifiche)",
		Run: func(ctx context.Context, m *Main, args []string) error {
			n, err := m.Monitor.Refresh(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "aggregati aggiornati: %d professionisti\n", n)
			return nil
		}})
}
