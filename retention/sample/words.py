"""The synthetic shop's vocabulary: category names, product words and brands, style words.

Only words live here; the simulation (:mod:`retention.sample.simulate`) draws from them with its
own random generator, so changing a list here changes the generated sample (and ``sample_data/``).
"""

from __future__ import annotations

# category -> median price, nouns, materials/colours (title adjectives), brands, feature phrases, uses.
CATEGORIES: dict[str, dict] = {
    "home": dict(
        price=24.0,
        nouns=["cushion", "throw", "lamp", "vase", "candle", "mirror", "rug", "clock", "frame"],
        adjectives=["linen", "velvet", "oak", "ceramic", "woven", "brass", "cotton", "marble"],
        brands=["Hearthwell", "Nestory", "Loomcraft", "Casaluna"],
        features=["soft furnishing", "living room accent", "cosy home decor", "hand finished detail"],
        uses=["the living room", "the bedroom", "a reading nook", "a housewarming gift"],
    ),
    "kitchen": dict(
        price=22.0,
        nouns=["saucepan", "knife", "chopping board", "teapot", "mixing bowl", "mug", "skillet", "grater"],
        adjectives=["stainless", "cast iron", "bamboo", "enamel", "copper", "stoneware", "non-stick", "glass"],
        brands=["Panforte", "Kitchwise", "Copperleaf", "Emberpot"],
        features=["dishwasher safe cookware", "oven safe to 220C", "chef grade kitchen tool", "easy clean surface"],
        uses=["everyday cooking", "baking weekends", "dinner parties", "a first kitchen"],
    ),
    "garden": dict(
        price=28.0,
        nouns=["trowel", "planter", "hose", "bird feeder", "pruner", "seed tray", "watering can", "lantern"],
        adjectives=["galvanised", "terracotta", "weatherproof", "steel", "recycled", "rattan", "cedar", "solar"],
        brands=["Greenfold", "Potting Shed", "Bloomery", "Fernwick"],
        features=["outdoor garden tool", "frost resistant build", "for beds and borders", "patio planting"],
        uses=["the allotment", "balcony gardens", "spring planting", "the patio"],
    ),
    "toys": dict(
        price=18.0,
        nouns=["puzzle", "building set", "plush bear", "train set", "board game", "kite", "doll", "robot kit"],
        adjectives=["wooden", "colourful", "magnetic", "musical", "glow", "giant", "mini", "classic"],
        brands=["Tumbletop", "Playnest", "Jigglewood", "Marvelkin"],
        features=["kids play time toy", "safe for ages 3+", "family game night", "imaginative play"],
        uses=["rainy days", "birthday presents", "family evenings", "the playroom"],
    ),
    "stationery": dict(
        price=8.0,
        nouns=["notebook", "fountain pen", "planner", "sketchbook", "pencil set", "washi tape", "envelope set"],
        adjectives=["dotted", "leather", "recycled paper", "pastel", "A5", "gel", "kraft", "hardback"],
        brands=["Inkwell & Co", "Paperlark", "Quillby", "Notewise"],
        features=["smooth writing paper", "desk and office stationery", "journaling essential", "acid free pages"],
        uses=["journaling", "the home office", "back to school", "letter writing"],
    ),
    "beauty": dict(
        price=15.0,
        nouns=["face serum", "hand cream", "lip balm", "shampoo", "body wash", "face mask", "nail polish"],
        adjectives=["vegan", "rose", "shea", "vitamin C", "fragrance free", "argan", "matte", "hydrating"],
        brands=["Glowlane", "Petalist", "Dewdrop", "Skinsmith"],
        features=["gentle skincare formula", "dermatologist tested", "cruelty free beauty", "daily self care"],
        uses=["morning routines", "sensitive skin", "pamper evenings", "travel bags"],
    ),
    "sports": dict(
        price=32.0,
        nouns=["yoga mat", "dumbbell", "running belt", "water bottle", "resistance band", "football", "racket"],
        adjectives=["lightweight", "grip", "insulated", "carbon", "adjustable", "breathable", "pro", "foldable"],
        brands=["Strideline", "Peakform", "Fitforge", "Sprintly"],
        features=["gym and fitness gear", "sweat resistant", "for training and workouts", "outdoor running"],
        uses=["home workouts", "marathon training", "the gym", "weekend matches"],
    ),
    "electronics": dict(
        price=55.0,
        nouns=["headphones", "charger", "speaker", "smart plug", "keyboard", "webcam", "power bank", "mouse"],
        adjectives=["wireless", "bluetooth", "USB-C", "noise cancelling", "fast charge", "ergonomic", "HD"],
        brands=["Voltbay", "Circuitry", "Audiora", "Pixelon"],
        features=["rechargeable battery gadget", "plug and play setup", "tech accessory", "long battery life"],
        uses=["working from home", "commuting", "gaming setups", "travel"],
    ),
    "books": dict(
        price=12.0,
        nouns=["novel", "cookbook", "atlas", "poetry collection", "biography", "crime thriller", "field guide"],
        adjectives=["paperback", "illustrated", "hardcover", "signed", "bestselling", "pocket", "annotated"],
        brands=["Foxglove Press", "Larkspur Books", "Inkhorn", "Pagewright"],
        features=["page turning read", "a book for the shelf", "award winning author", "chapters to savour"],
        uses=["book clubs", "holiday reading", "bedtime reading", "curious minds"],
    ),
    "pets": dict(
        price=14.0,
        nouns=["dog bed", "cat toy", "lead", "feeding bowl", "scratching post", "pet shampoo", "chew treat"],
        adjectives=["orthopaedic", "catnip", "reflective", "slow feed", "natural", "waterproof", "chunky"],
        brands=["Pawsome", "Whiskerly", "Barkside", "Furrow"],
        features=["for dogs and cats", "vet approved pet care", "durable chew proof", "happy pets"],
        uses=["puppies", "indoor cats", "long walks", "senior dogs"],
    ),
    "fashion": dict(
        price=28.0,
        nouns=["scarf", "beanie", "tote bag", "socks", "gloves", "belt", "sunglasses", "wallet"],
        adjectives=["wool", "cashmere", "denim", "knitted", "leather", "striped", "organic cotton", "silk"],
        brands=["Threadmere", "Northcoat", "Stitchwell", "Velour Lane"],
        features=["wardrobe staple accessory", "fits true to size", "seasonal style", "made to last"],
        uses=["winter days", "city weekends", "gifting", "everyday outfits"],
    ),
    "food": dict(
        price=9.0,
        nouns=["coffee beans", "loose leaf tea", "chocolate bar", "olive oil", "granola", "hot sauce", "honey"],
        adjectives=["single origin", "organic", "dark", "extra virgin", "smoked", "raw", "spiced", "artisan"],
        brands=["Grindhouse", "Hillside Pantry", "Cocoa Row", "Saltmarsh"],
        features=["small batch pantry treat", "ethically sourced", "gourmet flavour", "store cupboard staple"],
        uses=["breakfast", "foodie gifts", "afternoon tea", "the pantry"],
    ),
}

# One pair of style words per taste dimension: descriptions name the item's two strongest dimensions,
# so words carry taste beyond the category.
STYLE_WORDS = [
    ("minimalist", "ornate"),
    ("bold", "understated"),
    ("eco", "luxury"),
    ("compact", "generous"),
    ("vintage", "modern"),
    ("playful", "elegant"),
    ("rugged", "delicate"),
    ("everyday", "statement"),
]
