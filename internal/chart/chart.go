// Package chart draws the platform's charts as static, accessible SVG on the server (no
// JavaScript, allowed by the CSP): each chart has a title and a text description for screen
// readers, and every page that shows one also shows the same numbers as a table. Each chart
// kind lives in its own file (bar.go, radar.go, ...).
package chart

// Palette holds colours from Bootstrap Italia with at least 3:1 contrast on white, for
// marks next to each other.
var Palette = []string{"#0066cc", "#d9364f", "#008055", "#a66300", "#5c6f82", "#7a3fbf", "#004d99", "#b31b46"}
