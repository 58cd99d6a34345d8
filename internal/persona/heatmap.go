package persona

import (
	"context"
	"fmt"
	"strings"
)

// Heatmap is the persona × ambito matrix of national targets of a framework version: for
// each cell, the mean minimum target level over the ambito's lines (a line that is not
// required counts as 0, so a cell also shows how much of the ambito the persona needs) and
// how many of the lines are required.
type Heatmap struct {
	Framework Framework     `json:"framework"`
	Areas     []HeatmapArea `json:"areas"`
	Rows      []HeatmapRow  `json:"rows"`
	MaxLevel  int           `json:"max_level"`
}

// HeatmapArea is a column: one ambito.
type HeatmapArea struct {
	ID            int64  `json:"id"`
	Code          string `json:"code"`
	TitleIT       string `json:"title_it"`
	TitleEN       string `json:"title_en"`
	DimensionCode string `json:"dimension_code"`
	Lines         int    `json:"lines"`
}

// Title returns the ambito's title in lang.
func (a HeatmapArea) Title(lang string) string {
	if lang == "en" && a.TitleEN != "" {
		return a.TitleEN
	}
	return a.TitleIT
}

// HeatmapRow is a persona and its cells, one per area in column order.
type HeatmapRow struct {
	PersonaID int64         `json:"persona_id"`
	Code      string        `json:"code"`
	NameIT    string        `json:"name_it"`
	NameEN    string        `json:"name_en"`
	Cells     []HeatmapCell `json:"cells"`
}

// Name returns the persona's name in lang.
func (r HeatmapRow) Name(lang string) string {
	if lang == "en" && r.NameEN != "" {
		return r.NameEN
	}
	return r.NameIT
}

// HeatmapCell is one persona × ambito value.
type HeatmapCell struct {
	Mean     float64 `json:"mean"`
	Required int     `json:"required"`
	Lines    int     `json:"lines"`
	// Shade is the colour class 0–4 the page uses (0 = nothing required).
	Shade int `json:"shade"`
}

// Label renders the mean with one decimal and an Italian-style comma when lang is "it".
func (c HeatmapCell) Label(lang string) string {
	s := fmt.Sprintf("%.1f", c.Mean)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Heatmap computes the matrix for a framework version (0 = current). Everyone
// authenticated may read it.
func (s *Service) Heatmap(ctx context.Context, frameworkID int64) (Heatmap, error) {
	if _, err := requireReader(ctx); err != nil {
		return Heatmap{}, err
	}
	tree, err := s.tree(ctx, s.DB.Read, frameworkID)
	if err != nil {
		return Heatmap{}, err
	}
	h := Heatmap{Framework: tree.Framework, MaxLevel: tree.MaxLevel()}
	areas := tree.Areas()
	col := map[int64]int{}
	for i, a := range areas {
		col[a.ID] = i
		h.Areas = append(h.Areas, HeatmapArea{ID: a.ID, Code: a.Code, TitleIT: a.TitleIT, TitleEN: a.TitleEN, DimensionCode: a.Dimension.Code, Lines: len(a.Lines)})
	}
	ps, err := s.listPersonas(ctx, s.DB.Read, tree.ID)
	if err != nil {
		return h, err
	}
	for _, p := range ps {
		ts, err := s.nationalTargets(ctx, s.DB.Read, p.ID)
		if err != nil {
			return h, err
		}
		h.Rows = append(h.Rows, HeatmapRow{PersonaID: p.ID, Code: p.Code, NameIT: p.NameIT, NameEN: p.NameEN, Cells: heatCells(tree, areas, col, ts)})
	}
	return h, nil
}

// heatCells computes a persona's cells; it is pure given the tree and the targets.
func heatCells(tree *Tree, areas []*Area, col map[int64]int, ts []Target) []HeatmapCell {
	cells := make([]HeatmapCell, len(areas))
	sums := make([]int, len(areas))
	for _, t := range ts {
		l := tree.Line(t.LineID)
		if l == nil || !t.Required {
			continue
		}
		i := col[l.Area.ID]
		sums[i] += t.Min
		cells[i].Required++
	}
	maxL := tree.MaxLevel()
	for i, a := range areas {
		c := &cells[i]
		c.Lines = len(a.Lines)
		if c.Lines > 0 {
			c.Mean = float64(sums[i]) / float64(c.Lines)
		}
		switch {
		case c.Required == 0 || maxL == 0:
			c.Shade = 0
		default:
			// Four equal bands of the scale, so the colour reads like the level.
			c.Shade = min(4, 1+int(c.Mean*4/float64(maxL+1)))
		}
	}
	return cells
}
