"""Statistics used by more than one analysis area, each written once and tested on data with a
known answer (ADR 0002): funnel limits with overdispersion (:mod:`.funnel`), XmR charts and
their rules (:mod:`.xmr`), confidence intervals (:mod:`.intervals`) and the small-number rule
(:mod:`.small_numbers`).  Nothing here reads data or draws: plain numbers in, numbers out."""
