"""esign: legally meaningful electronic signatures and seals (电子签章)."""
