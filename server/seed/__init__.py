"""Demo data: `flask --app server seed-demo` builds a believable bureau to try the product on."""
