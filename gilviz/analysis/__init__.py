"""The viewer's side of an experiment, without a screen: `engine` starts runners and reads
their events; `results` and `verdict` make each cell one Result, judged once; `report`,
`lanes` and `trace` turn results into text, glyphs and trace files; `store` keeps them;
`pythons` finds interpreters; `tour` tries the GIL's claims. Never imports Textual."""
