package main


func sm2ECDHFile(bool) *vectorFile      { return &vectorFile{name: "x2.json"} }
func secp256k1ECPointFile() *vectorFile { return &vectorFile{name: "x3.json"} }
func datakeyFile() *vectorFile          { return &vectorFile{name: "x4.json"} }
func importFile() *vectorFile           { return &vectorFile{name: "x5.json"} }
