"""Every number the answer engine is tuned by, in one place.

Change one, then run `tests/test_answer_quality.py` (it prints top-1, top-3, intent and honest
fallback on the labelled questions) and compare the figures before and after."""

# --- how sure a match must be ---------------------------------------------------------------
CONFIDENT = 0.34  # below this a match is not an answer
SHORT_QUESTION_WORDS = 3  # a question of more words needs CONFIDENT × √(this / words): many words explain it
OUT_OF_SCOPE_CONFIDENT = 0.8  # an off-topic word ("пенсия", "мобілізація") needs a stronger match
RELATIVE = 0.45  # results weaker than this share of the best one are dropped
LOCAL_CONFIDENT = 0.2  # the weakest match shown at all
NAMED_PLACE_FLOOR = 0.12  # in the place the person named, weaker matches still count
NAMED_PLACE_CONFIDENT = 0.15  # and a question about a place the catalogue knows needs less
# Score → how often the first service was right on the in-scope questions of
# tests/data/questions.yaml (`python bench/calibrate.py` fits it; linear in between, 0 at 0).
CALIBRATION = ((0.0, 0.0), (0.35, 0.84), (0.5, 0.92), (0.61, 0.92), (0.73, 0.98), (0.93, 0.99))
SURE = 0.6  # below this calibrated score the answer says it is not sure, shows one service and offers staff

# --- how much a word counts -----------------------------------------------------------------
# Where in a service a word stands.
FIELD_WEIGHTS = {
    "name": 3.0,
    "synonyms": 2.95,
    "alternate_name": 2.5,
    "synonym_phrases": 2.0,
    "concepts": 1.5,
    "organization": 1.2,
    "description": 1.0,
    "eligibility_description": 0.7,
}
GROUP_WORD_SHARE = 0.6  # a word for who the person is ("пенсіонер") against a word for a need
GROUP_TIE_BREAK = 0.2  # bonus for a service meant for the group a word names ("дете с увреждане")
MAX_WORDS = 200  # words of a question read; the rest of a long paste is noise
WORD_FUZZ_CUTOFF = 80  # rapidfuzz ratio for a misspelt word to stand for a catalogue word
WORD_FUZZ_MIN_LENGTH = 4  # shorter words are not guessed at

# --- boosts and penalties on a service's score ----------------------------------------------
DISPLACED_BOOST = 1.2  # services for displaced people, when the person says where they come from
BRIDGE_BOOST = 1.2  # an office in one named place that serves people from another ("терцентр Краматорська в Києві")
HOME_COUNTRY_BOOST = 1.15  # with no place named, services in the asker's own country (by language)
OLD_AGE = 60  # from this age a person in need counts as older
OLD_AGE_BONUS = 0.5  # weight of services for older people added when the person is that old
INACTIVE_PENALTY = 0.8  # services not active at the moment
AGE_MISMATCH_PENALTY = 0.5  # services whose age range excludes the age said

# --- places -----------------------------------------------------------------------------------
SHORTLIST = 300  # the best matches that are ranked by place
BRIDGE_CHECK = 30  # the best of those checked for offices serving another named place
NEAR_ENOUGH_KM = 50  # nearer is "near": an uncovered town is shown what this covered place has
PLACE_FUZZ_CUTOFF = 86  # rapidfuzz ratio for a misspelt word to stand for a catalogue place
PLACE_FUZZ_MIN_LENGTH = 5  # shorter words are not guessed to be places
# When the named place has nothing that matches, the closest kind of help there: a home-care
# service is the closest thing to meals where no kitchen delivers.
RELATED_CATEGORIES = {
    "meals": ("home_care",),
    "home_care": ("meals",),
    "day_care": ("rehabilitation",),
    "rehabilitation": ("day_care",),
    "residential_care": ("supported_housing",),
    "supported_housing": ("residential_care",),
    "counselling": ("children_families", "crisis"),
    "crisis": ("counselling",),
}

# --- the conversation's language (catalog/search/language.py) ---------------------------------
# A message switches the conversation's language only when it is clearly in the other one:
CLEAR_WORDS = 3  # this many words that are not place names or numbers,
CLEAR_MARGIN = 2.0  # and this many more votes for it
