package app

import (
	"context"
	"strconv"

	"esd/internal/domain"
	"esd/internal/web"
)

// registerPickers gives the forms that ask for an organisation, a persona, a profession or
// a discipline their lists to pick from (web.Server.SetPicker): a person types a name and
// picks instead of looking up an id. Organisations are narrowed to the viewer's region.
func (m *Main) registerPickers() {
	m.Server.SetPicker("organisation", func(ctx context.Context, lang string) ([]web.PickOption, error) {
		a := domain.ActorFrom(ctx)
		region := int64(0)
		if a.Role != domain.RoleNational && a.Role != domain.RoleAnalyst {
			region = a.RegionID
		}
		orgs, err := m.Registry.OrganisationChoices(ctx, region)
		if err != nil {
			return nil, err
		}
		out := make([]web.PickOption, len(orgs))
		for i, o := range orgs {
			label := o.Code + " – " + o.Name
			if region == 0 && o.RegionName != "" {
				label += " (" + o.RegionName + ")"
			}
			out[i] = web.PickOption{Value: strconv.FormatInt(o.ID, 10), Label: label}
		}
		return out, nil
	})
	m.Server.SetPicker("region", func(ctx context.Context, lang string) ([]web.PickOption, error) {
		rs, err := m.Registry.Regions(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]web.PickOption, len(rs))
		for i, r := range rs {
			out[i] = web.PickOption{Value: strconv.FormatInt(r.ID, 10), Label: r.Name}
		}
		return out, nil
	})
	m.Server.SetPicker("persona", func(ctx context.Context, lang string) ([]web.PickOption, error) {
		ps, err := m.Persona.ListPersonas(ctx, 0)
		if err != nil {
			return nil, err
		}
		en := lang == "en"
		out := make([]web.PickOption, len(ps))
		for i, p := range ps {
			name := p.NameIT
			if en && p.NameEN != "" {
				name = p.NameEN
			}
			out[i] = web.PickOption{Value: strconv.FormatInt(p.ID, 10), Label: p.Code + " – " + name}
		}
		return out, nil
	})
	m.Server.SetPicker("profession", func(ctx context.Context, lang string) ([]web.PickOption, error) {
		ps, err := m.Registry.Professions(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]web.PickOption, len(ps))
		for i, p := range ps {
			out[i] = web.PickOption{Value: strconv.Itoa(p.Code), Label: p.Name}
		}
		return out, nil
	})
	m.Server.SetPicker("discipline", func(ctx context.Context, lang string) ([]web.PickOption, error) {
		ps, err := m.Registry.Professions(ctx)
		if err != nil {
			return nil, err
		}
		var out []web.PickOption
		for _, p := range ps {
			for _, d := range p.Disciplines {
				out = append(out, web.PickOption{Value: strconv.Itoa(d.Code), Label: d.Name + " (" + p.Name + ")"})
			}
		}
		return out, nil
	})
}
