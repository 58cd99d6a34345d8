//go:build ignore

// gen_default writes data/default_portfolio.json, the illustrative default portfolio (6
// dimensions, 16 ambiti, 140 lines), from the compact tables below. Each line has an
// Italian and an English title, a one-sentence Italian description, a "topic" (a noun
// phrase with its article) and an "act" (what a professional does, as an infinitive
// phrase); the four level descriptors are built from one of four patterns (operational,
// knowledge, relational, organisational) with the topic and the act. Crosswalks: every line
// inherits its ambito's ECM objectives and adds its own ECM and DigComp 3.0 targets
// ("17" = broader, "7~" = related, "4.2=" = exact).
//
// English level descriptors come from gen_default_content_en.go (levelsEN).
//
// Run from this folder: go run gen_default.go gen_default_content.go gen_default_content_en.go
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"esd/internal/portfolio"
)

type line struct {
	it, en, desc, topic, act, kind string
	dc, ecm                        []string
}

type area struct {
	it, en, desc, descEN string
	ecm                  []string
	lines                []line
}

type dim struct {
	it, en, desc, descEN string
	areas                []area
}

// di joins "di" to a noun phrase, contracting it with the article: di + il = del.
func di(t string) string {
	for _, a := range [][2]string{{"il ", "del "}, {"lo ", "dello "}, {"la ", "della "}, {"l'", "dell'"}, {"i ", "dei "}, {"gli ", "degli "}, {"le ", "delle "}} {
		if strings.HasPrefix(t, a[0]) {
			return a[1] + strings.TrimPrefix(t, a[0])
		}
	}
	return "di " + t
}

func levels(l line) [4]string {
	t, a := l.topic, l.act
	switch l.kind {
	case "kn":
		return [4]string{
			"Conosce i concetti di base " + di(t) + " e ne riconosce il ruolo nel proprio lavoro quotidiano.",
			"Nelle situazioni abituali sa " + a + ", consultando quando serve le fonti e le procedure di riferimento.",
			"Anche nei casi complessi o dubbi sa " + a + ", valutando le implicazioni delle scelte e spiegandole con chiarezza ai colleghi.",
			"Ha una conoscenza specialistica " + di(t) + ": orienta le scelte dell'organizzazione, redige indicazioni operative e forma altri professionisti.",
		}
	case "rel":
		return [4]string{
			"Comprende l'importanza " + di(t) + " e, in situazioni semplici e con il supporto di colleghi o di materiali guida, sa " + a + ".",
			"In autonomia e con la maggior parte delle persone che assiste sa " + a + ", adattando il proprio stile a ciascuna.",
			"Anche in situazioni delicate o con persone in difficoltà sa " + a + ", riconoscendo i bisogni individuali e i limiti dello strumento digitale.",
			"Promuove " + t + " nella propria organizzazione: definisce buone pratiche, fa da modello e sostiene i colleghi nel migliorare.",
		}
	case "mgmt":
		return [4]string{
			"Conosce gli elementi essenziali " + di(t) + " e partecipa con consapevolezza alle attività avviate nel proprio servizio.",
			"Per attività circoscritte del proprio servizio, con il supporto di referenti o di strumenti guida, sa " + a + ".",
			"In autonomia, anche in progetti complessi o che coinvolgono più servizi, sa " + a + " coordinando il contributo dei colleghi.",
			"Guida " + t + " a livello aziendale o regionale: definisce strategie e metodi, valuta i risultati e forma altri professionisti.",
		}
	}
	return [4]string{
		"Conosce gli aspetti essenziali " + di(t) + " e, in situazioni semplici e seguendo istruzioni o con l'aiuto di un collega, sa " + a + ".",
		"In autonomia, nelle situazioni abituali del proprio lavoro, sa " + a + ", riconoscendo i problemi più comuni e sapendo come risolverli o a chi rivolgersi.",
		"Anche in situazioni complesse o poco frequenti sa " + a + ", adattando il proprio modo di operare al contesto e aiutando i colleghi meno esperti.",
		"È punto di riferimento per " + t + " nella propria organizzazione: forma i colleghi, contribuisce a procedure e scelte tecniche e propone miglioramenti.",
	}
}

// levelsEN is levels in English, with the same four patterns, from the line's English topic
// and act (contentEN). The wording follows the Italian sentence by sentence so that a reader
// switching language sees the same level, not a paraphrase.
func levelsEN(l line) [4]string {
	e, ok := contentEN[l.en]
	if !ok {
		panic("no English topic and act in contentEN for line " + l.en)
	}
	t, a := e[0], e[1]
	switch l.kind {
	case "kn":
		return [4]string{
			"Knows the basic concepts of " + t + " and recognises their role in their own daily work.",
			"In usual situations can " + a + ", consulting the reference sources and procedures when needed.",
			"Even in complex or uncertain cases can " + a + ", weighing the implications of the choices and explaining them clearly to colleagues.",
			"Has specialist knowledge of " + t + ": steers the organisation's choices, writes operational guidance and trains other professionals.",
		}
	case "rel":
		return [4]string{
			"Understands the importance of " + t + " and, in simple situations and with the support of colleagues or guidance materials, can " + a + ".",
			"Autonomously and with most of the people they care for, can " + a + ", adapting their own style to each person.",
			"Even in delicate situations or with people in difficulty can " + a + ", recognising individual needs and the limits of the digital tool.",
			"Promotes " + t + " in their own organisation: defines good practice, acts as a role model and helps colleagues improve.",
		}
	case "mgmt":
		return [4]string{
			"Knows the essential elements of " + t + " and takes an informed part in the activities started in their own service.",
			"For well-bounded activities of their own service, with the support of leads or guidance tools, can " + a + ".",
			"Autonomously, even in complex projects or ones involving several services, can " + a + ", coordinating the contribution of colleagues.",
			"Leads " + t + " at organisation or regional level: defines strategies and methods, evaluates the results and trains other professionals.",
		}
	}
	return [4]string{
		"Knows the essentials of " + t + " and, in simple situations and following instructions or with a colleague's help, can " + a + ".",
		"Autonomously, in the usual situations of their own work, can " + a + ", recognising the most common problems and knowing how to solve them or whom to turn to.",
		"Even in complex or infrequent situations can " + a + ", adapting their way of working to the context and helping less experienced colleagues.",
		"Is a point of reference for " + t + " in their own organisation: trains colleagues, contributes to procedures and technical choices and proposes improvements.",
	}
}

func cw(scheme string, codes []string) []portfolio.DocCrosswalk {
	var out []portfolio.DocCrosswalk
	for _, c := range codes {
		rel := portfolio.RelBroader
		switch {
		case strings.HasSuffix(c, "~"):
			rel, c = portfolio.RelRelated, strings.TrimSuffix(c, "~")
		case strings.HasSuffix(c, "="):
			rel, c = portfolio.RelExact, strings.TrimSuffix(c, "=")
		case strings.HasSuffix(c, "<"):
			rel, c = portfolio.RelNarrower, strings.TrimSuffix(c, "<")
		}
		out = append(out, portfolio.DocCrosswalk{Scheme: scheme, Code: c, Relation: rel})
	}
	return out
}

func main() {
	doc := portfolio.Document{Format: portfolio.DocumentFormat, FormatVersion: 1,
		Framework: portfolio.DocFramework{Code: "ESD-PORTFOLIO", Version: "0.1",
			TitleIT:       "Portfolio nazionale delle competenze digitali in sanità (illustrativo)",
			TitleEN:       "National portfolio of digital competences in health (illustrative)",
			DescriptionIT: "Portfolio illustrativo di 6 dimensioni, 16 ambiti e 140 linee formative, costruito per dimostrare la piattaforma a partire da DigComp 3.0 e dai quadri di competenze digitali in sanità (HEE, NHS Education for Scotland, HEIW, TIGER). Non è il portfolio ufficiale del programma ESD: va sostituito importando quello ufficiale.",
			DescriptionEN: "An illustrative portfolio of 6 dimensions, 16 ambiti and 140 training lines, built to demonstrate the platform from DigComp 3.0 and the digital capability frameworks for health (HEE, NHS Education for Scotland, HEIW, TIGER). It is not the official portfolio of the ESD programme: replace it by importing the official one.",
			Illustrative:  true}}
	for _, l := range scaleLevels() {
		doc.Scale = append(doc.Scale, l)
	}
	for i, d := range content {
		dc := fmt.Sprintf("D%d", i+1)
		dItem := portfolio.DocItem{Code: dc, TitleIT: d.it, TitleEN: d.en, DescriptionIT: d.desc, DescriptionEN: d.descEN}
		for j, a := range d.areas {
			ac := fmt.Sprintf("%s.A%d", dc, j+1)
			ai := portfolio.DocItem{Code: ac, TitleIT: a.it, TitleEN: a.en, DescriptionIT: a.desc, DescriptionEN: a.descEN}
			for k, l := range a.lines {
				li := portfolio.DocItem{Code: fmt.Sprintf("%s.L%02d", ac, k+1), TitleIT: l.it, TitleEN: l.en, DescriptionIT: l.desc}
				en := levelsEN(l)
				for n, s := range levels(l) {
					li.Levels = append(li.Levels, portfolio.DocLineLevel{Level: n + 1, IT: s, EN: en[n]})
				}
				ecm := append([]string{}, a.ecm...)
				for _, e := range l.ecm {
					dup := false
					for _, x := range ecm {
						if strings.TrimRight(x, "~=<") == strings.TrimRight(e, "~=<") {
							dup = true
						}
					}
					if !dup {
						ecm = append(ecm, e)
					}
				}
				li.Crosswalks = append(cw(portfolio.SchemeECM, ecm), cw(portfolio.SchemeDigComp, l.dc)...)
				for m := range li.Crosswalks {
					c := &li.Crosswalks[m]
					if c.Scheme == portfolio.SchemeECM {
						e, ok := portfolio.ECMObjective(c.Code)
						if !ok {
							panic("unknown ECM objective " + c.Code + " in " + li.Code)
						}
						c.Label = e.Label
					} else {
						e, ok := portfolio.DigCompEntry(c.Code)
						if !ok {
							panic("unknown DigComp code " + c.Code + " in " + li.Code)
						}
						c.Label = e.Label
					}
				}
				ai.Lines = append(ai.Lines, li)
			}
			dItem.Areas = append(dItem.Areas, ai)
		}
		doc.Dimensions = append(doc.Dimensions, dItem)
	}
	if err := doc.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	d, a, l := doc.Counts()
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile("data/default_portfolio.json", append(b, '\n'), 0o644); err != nil {
		panic(err)
	}
	fmt.Printf("wrote data/default_portfolio.json: %d dimensions, %d ambiti, %d lines\n", d, a, l)
}

func scaleLevels() []portfolio.DocLevel {
	return []portfolio.DocLevel{
		{Level: 1, Code: "base", LabelIT: "Base", LabelEN: "Basic",
			DescriptorIT: "Svolge compiti semplici e ricorrenti con indicazioni o supervisione, applicando le regole essenziali.",
			DescriptorEN: "Carries out simple, routine tasks with guidance or supervision, applying the essential rules."},
		{Level: 2, Code: "intermedio", LabelIT: "Intermedio", LabelEN: "Intermediate",
			DescriptorIT: "Svolge in autonomia compiti ben definiti e risolve i problemi abituali del proprio contesto di lavoro.",
			DescriptorEN: "Carries out well-defined tasks autonomously and solves the usual problems of their own work setting."},
		{Level: 3, Code: "avanzato", LabelIT: "Avanzato", LabelEN: "Advanced",
			DescriptorIT: "Affronta compiti complessi e situazioni nuove, adatta le soluzioni al contesto e guida i colleghi quando serve.",
			DescriptorEN: "Handles complex tasks and new situations, adapts solutions to the context and guides colleagues when needed."},
		{Level: 4, Code: "specialistico", LabelIT: "Specialistico", LabelEN: "Specialist",
			DescriptorIT: "Risolve problemi altamente complessi o specialistici, crea soluzioni nuove e guida l'organizzazione e altri professionisti.",
			DescriptorEN: "Solves highly complex or specialised problems, creates new solutions and leads the organisation and other professionals."},
	}
}
