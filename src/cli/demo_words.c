/* cli/demo_words.c — the vocabulary of the staffing demo dataset.
 *
 * Pure data, kept apart from the generator so the code in demo_gen.c stays
 * readable and so the word lists can grow without touching it. Everything
 * here is fictional: company names are assembled from neutral parts, phone
 * numbers use the 555-01xx range reserved for fiction, e-mail domains are
 * RFC 2606/6761 reserved names.
 *
 * What the lists are for:
 *  - names: ~200 first and ~200 last names of varied origin, some with
 *    accents (José, Zoë, Łukasz, Weiß), apostrophes (O'Brien, D'Andre),
 *    hyphens (Mary-Kate, Smith-Jones) and spaces (De la Cruz), so name
 *    columns exercise UTF-8 and e-mail derivation exercises folding;
 *  - tracks: the nine industries, each with the company-name cores,
 *    certifications, achievements, shifts and job-title suffixes that keep
 *    a client, its job orders and the candidates sent to them on topic;
 *  - skills (90) and roles (52): a role names the skills a job order
 *    requires and a candidate in that role mostly has;
 *  - cities (48) with their area codes and weights; Chicago, IL is by far
 *    the most common, as befits a Chicago-based agency.
 *
 * Order matters: the generator indexes these arrays with seeded random
 * numbers, so reordering or inserting entries changes the dataset for a
 * given seed (still deterministic, just different). Append, and bump any
 * golden values a test pins, when extending.
 */
#include "cli/demo_internal.h"

#define LIST(a) {a, sizeof a / sizeof a[0]}

static const char *const first_names[] = {
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony",
    "Margaret", "Mark", "Sandra", "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily",
    "Andrew", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian",
    "Melissa", "George", "Deborah", "Timothy", "Stephanie", "Ronald", "Rebecca", "Jason", "Laura",
    "Edward", "Sharon", "Jeffrey", "Cynthia", "Ryan", "Kathleen", "Jacob", "Amy", "Gary",
    "Angela", "Nicholas", "Shirley", "Eric", "Anna", "Jonathan", "Brenda", "Stephen", "Pamela",
    "Larry", "Emma", "Justin", "Nicole", "Scott", "Helen", "Brandon", "Samantha", "Benjamin",
    "Katherine", "Samuel", "Christine",
    "José", "María", "Juan", "Carmen", "Luis", "Ana", "Carlos", "Sofía", "Jorge", "Lucía",
    "Miguel", "Gabriela", "Alejandro", "Valentina", "Diego", "Camila", "Javier", "Ximena",
    "Andrés", "Daniela", "Ramón", "Inés", "Héctor", "Adriana", "Raúl", "Marisol", "Jesús",
    "Guadalupe", "Ángel", "Rocío",
    "DeShawn", "Jamal", "Aaliyah", "Tyrone", "Keisha", "Darnell", "Imani", "Marquis", "Latoya",
    "Terrell", "Shanice", "Andre", "Ebony", "Malik", "Tanisha", "D'Andre", "Ja'Nae",
    "Wei", "Mei", "Hiroshi", "Yuki", "Min-jun", "Ji-woo", "Priya", "Arjun", "Ananya", "Rahul",
    "Deepika", "Vikram", "Thanh", "Linh", "Minh", "Kenji", "Aiko", "Jin", "Xiaoling", "Haruto",
    "Sung-min",
    "Zoë", "Chloé", "Renée", "Noël", "François", "Björn", "Søren", "Łukasz", "Małgorzata",
    "Agnieszka", "Piotr", "Katarzyna", "Dmitri", "Olga", "Sergei", "Natalia", "Giovanni",
    "Francesca", "Matteo", "Giulia", "Siobhán", "Seán", "Niamh", "Declan", "Aoife", "Mary-Kate",
    "Jean-Luc", "Anne-Marie", "Zoltán", "Dorota",
    "Mohammed", "Fatima", "Omar", "Aisha", "Yusuf", "Leila", "Tariq", "Nadia", "Hassan",
    "Amira", "Kwame", "Ama", "Chinedu", "Ngozi", "Oluwaseun", "Abebe", "Tendai",
    "Jaden", "Brooklyn", "Harper", "Mason", "Aubrey", "Logan",
};

static const char *const last_names[] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster",
    "Jiménez",
    "O'Brien", "O'Connor", "O'Neill", "D'Angelo", "McDonald", "MacLeod", "Fitzgerald",
    "Kowalski", "Nowak", "Wiśniewski", "Zieliński", "Lewandowski", "Wójcik", "Kamiński",
    "Novák", "Dvořák", "Müller", "Schröder", "Köhler", "Weiß", "Fischer", "Schmidt", "Becker",
    "Hoffmann", "Bauer", "Larsen", "Søndergaard", "Johansson", "Lindqvist", "Nyström",
    "Björklund", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
    "Ricci", "Greco", "Bruno", "Costa", "Gallo",
    "Peña", "Muñoz", "Núñez", "Ibáñez", "Domínguez", "Vázquez", "Hernández-Ruiz", "Santiago",
    "Delgado", "Vega", "Castro", "Ortega", "De la Cruz", "Del Río", "Villanueva", "Aguilar",
    "Medina", "Guerrero",
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Tanaka",
    "Suzuki", "Watanabe", "Yamamoto", "Nakamura", "Park", "Choi", "Jung", "Kang", "Tran",
    "Pham", "Le", "Hoang", "Vo", "Singh", "Kumar", "Sharma", "Gupta", "Shah", "Reddy", "Iyer",
    "Khan",
    "Okafor", "Adeyemi", "Mensah", "Abdullah", "Haddad", "Nasser", "Mahmoud", "Tesfaye",
    "Mwangi", "Diallo", "Washington", "Jefferson", "Banks", "Freeman", "Holloway",
    "Smith-Jones", "Lopez-Garcia", "Baptiste", "Pierre", "Beaulieu", "Côté", "Lefèvre",
    "Gagnon", "Tremblay",
};

static const char *const email_domains[] = {
    "example.com", "mail.test", "example.org", "inbox.test", "example.net", "webmail.test",
};

static const char *const company_prefixes[] = {
    "Midwest", "Lakeshore", "Summit", "Prairie", "Great Lakes", "Northstar", "Keystone",
    "Riverbend", "Heartland", "Bluewater", "Ironwood", "Cedar Ridge", "Pioneer", "Liberty",
    "Granite", "Harbor", "Evergreen", "Silver Creek", "Redwood", "Cornerstone", "Allied",
    "Frontier", "Meridian", "Crescent", "Oakbrook", "Windy City", "Beacon", "Sterling",
    "Horizon", "Union", "Capitol", "Pinnacle", "Atlas", "Northfield", "Blue Ridge", "Lone Star",
    "Copperline", "Westgate", "Hudson Valley", "Fox River",
};

/* Appended verbatim after the core; two carry a comma, so client names
 * exercise CSV quoting. */
static const char *const company_suffixes[] = {
    "", " LLC", " Inc.", ", Inc.", " Co.", " Corporation", " Holdings", ", LLC", " & Co.",
};

/* The agency's own people. */
static const char *const recruiters[] = {
    "Dana Whitfield", "Marcus Bell", "Priya Raman", "Tom Kowalczyk", "Alicia Moreno",
    "Kevin O'Hara", "Jasmine Carter", "Luis Ortega", "Rachel Stein", "Brian Nakamura",
    "Tasha Greene", "Nick Papadopoulos", "Erin McCall", "Omar Haddad", "Megan Sullivan",
    "Chris Delgado", "Hannah Brooks", "Andre Thompson", "Natalie Wójcik", "Sam Patel",
    "Lauren Fischer", "Derek Owens", "Monica Alvarez", "Ryan Cho", "Keisha Warren",
    "Matt Lindgren", "Sofia Russo", "Jordan Hayes", "Beth Kaminski", "Victor Nguyen",
    "Grace Okafor", "Tyler Jensen", "Ana Beltrán", "Paul Ferraro", "Diane Morrison",
    "Zach Rivera",
};

static const char *const account_managers[] = {
    "Karen Lindquist", "Mike Donnelly", "Sandra Ruiz", "Greg Abernathy", "Nicole Tran",
    "Steve Marchetti", "Carla Jefferson", "Dave Olszewski", "Julie Park", "Rob Castellanos",
    "Heather Quinn", "Anthony Russo", "Lisa Feldman", "Marco Salazar", "Amy Kowalski",
    "Jim Brennan", "Tina Nguyen", "Paul Whitaker", "Renee Dubois", "Frank Medina",
};

static const char *const general_contact_titles[] = {
    "HR Manager", "Talent Acquisition Partner", "Operations Manager", "Hiring Manager",
    "HR Generalist", "Director of Operations",
};

const demo_list demo_first_names = LIST(first_names);
const demo_list demo_last_names = LIST(last_names);
const demo_list demo_email_domains = LIST(email_domains);
const demo_list demo_company_prefixes = LIST(company_prefixes);
const demo_list demo_company_suffixes = LIST(company_suffixes);
const demo_list demo_recruiters = LIST(recruiters);
const demo_list demo_account_managers = LIST(account_managers);
const demo_list demo_general_contact_titles = LIST(general_contact_titles);

/* ---- skills ----------------------------------------------------------- */

#define M DEMO_MANUFACTURING
#define H DEMO_HEALTHCARE
#define L DEMO_LOGISTICS
#define I DEMO_IT
#define F DEMO_FINANCE
#define P DEMO_HOSPITALITY
#define C DEMO_CONSTRUCTION
#define R DEMO_RETAIL
#define O DEMO_OFFICE
#define G (-1)

const demo_skill demo_skills[] = {
    {"CNC machining", M}, {"blueprint reading", M}, {"precision measurement", M},
    {"welding", M}, {"MIG welding", M}, {"TIG welding", M}, {"machine operation", M},
    {"assembly", M}, {"quality inspection", M}, {"lean manufacturing", M},
    {"industrial maintenance", M}, {"PLC troubleshooting", M},
    {"RN", H}, {"LPN", H}, {"CNA", H}, {"phlebotomy", H}, {"patient care", H},
    {"vital signs", H}, {"medication administration", H}, {"EMR charting", H},
    {"telemetry", H}, {"medical billing", H},
    {"forklift", L}, {"pallet jack", L}, {"RF scanning", L}, {"picking and packing", L},
    {"shipping and receiving", L}, {"inventory control", L}, {"cycle counting", L},
    {"WMS", L}, {"CDL-A", L}, {"CDL-B", L}, {"route planning", L},
    {"Python", I}, {"SQL", I}, {"Java", I}, {"JavaScript", I}, {"AWS", I}, {"Docker", I},
    {"Kubernetes", I}, {"Linux", I}, {"Git", I}, {"REST APIs", I}, {"help desk support", I},
    {"networking", I}, {"Tableau", I},
    {"accounting", F}, {"accounts payable", F}, {"accounts receivable", F}, {"payroll", F},
    {"ADP", F}, {"GAAP", F}, {"account reconciliation", F}, {"QuickBooks", F},
    {"financial reporting", F},
    {"line cooking", P}, {"food safety", P}, {"food prep", P}, {"banquet service", P},
    {"bartending", P}, {"housekeeping", P}, {"front desk", P},
    {"carpentry", C}, {"framing", C}, {"electrical wiring", C}, {"HVAC", C}, {"plumbing", C},
    {"drywall", C}, {"heavy equipment", C}, {"concrete finishing", C}, {"power tools", C},
    {"cash handling", R}, {"merchandising", R}, {"call center", R}, {"POS systems", R},
    {"sales", R},
    {"data entry", O}, {"scheduling", O}, {"Microsoft Office", O}, {"multi-line phones", O},
    {"onboarding", O}, {"records management", O},
    {"customer service", G}, {"bilingual Spanish", G}, {"Microsoft Excel", G},
    {"team leadership", G}, {"OSHA safety", G}, {"first aid/CPR", G},
    {"training and mentoring", G}, {"problem solving", G},
};
const size_t demo_nskills = sizeof demo_skills / sizeof demo_skills[0];

/* ---- roles ------------------------------------------------------------ */

const demo_role demo_roles[] = {
    {"CNC Machinist", M, 20, 34, "CNC machining;blueprint reading;precision measurement;quality inspection"},
    {"Welder", M, 19, 32, "welding;MIG welding;TIG welding;blueprint reading"},
    {"Machine Operator", M, 15, 22, "machine operation;quality inspection;lean manufacturing"},
    {"Assembler", M, 14, 20, "assembly;power tools;quality inspection"},
    {"Maintenance Technician", M, 24, 38, "industrial maintenance;PLC troubleshooting;electrical wiring;blueprint reading"},
    {"Quality Inspector", M, 18, 28, "quality inspection;precision measurement;blueprint reading;lean manufacturing"},

    {"Registered Nurse", H, 34, 60, "RN;patient care;medication administration;EMR charting;telemetry"},
    {"Licensed Practical Nurse", H, 24, 34, "LPN;medication administration;patient care;vital signs"},
    {"Certified Nursing Assistant", H, 15, 22, "CNA;patient care;vital signs"},
    {"Phlebotomist", H, 16, 24, "phlebotomy;vital signs;patient care"},
    {"Medical Assistant", H, 16, 23, "vital signs;EMR charting;scheduling"},
    {"Medical Biller", H, 18, 27, "medical billing;EMR charting;data entry"},

    {"Forklift Operator", L, 16, 23, "forklift;RF scanning;inventory control;pallet jack"},
    {"Warehouse Associate", L, 14, 20, "picking and packing;RF scanning;pallet jack;shipping and receiving"},
    {"CDL-A Truck Driver", L, 24, 38, "CDL-A;route planning;OSHA safety"},
    {"Delivery Driver", L, 16, 24, "CDL-B;route planning;customer service"},
    {"Inventory Control Specialist", L, 17, 25, "inventory control;cycle counting;WMS;Microsoft Excel"},
    {"Shipping and Receiving Clerk", L, 15, 21, "shipping and receiving;WMS;data entry"},

    {"Python Developer", I, 45, 90, "Python;SQL;Git;REST APIs;Docker"},
    {"Java Developer", I, 45, 90, "Java;SQL;Git;REST APIs"},
    {"Cloud Engineer", I, 55, 100, "AWS;Docker;Kubernetes;Linux"},
    {"Data Analyst", I, 32, 60, "SQL;Tableau;Python;Microsoft Excel"},
    {"Help Desk Technician", I, 18, 30, "help desk support;networking;customer service"},
    {"Front-End Developer", I, 40, 80, "JavaScript;Git;REST APIs"},
    {"Network Administrator", I, 32, 55, "networking;Linux;help desk support"},

    {"Staff Accountant", F, 26, 42, "accounting;GAAP;account reconciliation;financial reporting"},
    {"Payroll Specialist", F, 22, 35, "payroll;ADP;data entry;Microsoft Excel"},
    {"Accounts Payable Clerk", F, 18, 26, "accounts payable;data entry;QuickBooks"},
    {"Accounts Receivable Specialist", F, 18, 27, "accounts receivable;account reconciliation;customer service"},
    {"Bookkeeper", F, 20, 30, "QuickBooks;account reconciliation;accounts payable;accounts receivable"},
    {"Financial Analyst", F, 35, 60, "financial reporting;Microsoft Excel;accounting"},

    {"Line Cook", P, 15, 22, "line cooking;food prep;food safety"},
    {"Banquet Server", P, 13, 19, "banquet service;food safety;customer service"},
    {"Housekeeper", P, 13, 18, "housekeeping;customer service"},
    {"Front Desk Agent", P, 14, 20, "front desk;customer service;POS systems"},
    {"Bartender", P, 12, 18, "bartending;POS systems;cash handling"},
    {"Prep Cook", P, 14, 19, "food prep;food safety;line cooking"},

    {"Journeyman Electrician", C, 30, 48, "electrical wiring;blueprint reading;OSHA safety"},
    {"Carpenter", C, 22, 38, "carpentry;framing;blueprint reading;power tools"},
    {"General Laborer", C, 15, 22, "power tools;concrete finishing;OSHA safety"},
    {"Heavy Equipment Operator", C, 25, 40, "heavy equipment;OSHA safety"},
    {"HVAC Technician", C, 25, 42, "HVAC;electrical wiring;problem solving"},
    {"Plumber", C, 26, 44, "plumbing;blueprint reading;power tools"},
    {"Drywall Finisher", C, 18, 28, "drywall;power tools;framing"},

    {"Customer Service Representative", R, 15, 22, "customer service;call center;data entry"},
    {"Retail Sales Associate", R, 13, 18, "cash handling;merchandising;POS systems;sales"},
    {"Call Center Agent", R, 15, 21, "call center;customer service;bilingual Spanish"},
    {"Store Supervisor", R, 18, 26, "sales;merchandising;team leadership;cash handling"},

    {"Administrative Assistant", O, 18, 27, "Microsoft Office;scheduling;data entry"},
    {"Receptionist", O, 15, 21, "multi-line phones;scheduling;customer service"},
    {"HR Coordinator", O, 22, 32, "onboarding;Microsoft Office;records management"},
    {"Data Entry Clerk", O, 15, 20, "data entry;Microsoft Excel;records management"},
    {"Office Manager", O, 24, 36, "Microsoft Office;scheduling;team leadership;records management"},
};
const size_t demo_nroles = sizeof demo_roles / sizeof demo_roles[0];

#undef M
#undef H
#undef L
#undef I
#undef F
#undef P
#undef C
#undef R
#undef O
#undef G

/* ---- cities ----------------------------------------------------------- */

const demo_city demo_cities[] = {
    {"Chicago", "IL", 312, 773, 40},
    {"Naperville", "IL", 630, 0, 5},
    {"Aurora", "IL", 630, 0, 4},
    {"Joliet", "IL", 815, 0, 4},
    {"Rockford", "IL", 815, 0, 3},
    {"Schaumburg", "IL", 847, 0, 4},
    {"Evanston", "IL", 847, 0, 3},
    {"Elgin", "IL", 847, 0, 3},
    {"Milwaukee", "WI", 414, 0, 6},
    {"Madison", "WI", 608, 0, 3},
    {"Indianapolis", "IN", 317, 0, 5},
    {"Gary", "IN", 219, 0, 2},
    {"Detroit", "MI", 313, 0, 5},
    {"Grand Rapids", "MI", 616, 0, 3},
    {"Columbus", "OH", 614, 0, 4},
    {"Cleveland", "OH", 216, 0, 4},
    {"Cincinnati", "OH", 513, 0, 3},
    {"St. Louis", "MO", 314, 0, 4},
    {"Kansas City", "MO", 816, 0, 3},
    {"Minneapolis", "MN", 612, 0, 4},
    {"Des Moines", "IA", 515, 0, 2},
    {"Omaha", "NE", 402, 0, 2},
    {"Louisville", "KY", 502, 0, 2},
    {"Nashville", "TN", 615, 0, 3},
    {"Memphis", "TN", 901, 0, 2},
    {"Atlanta", "GA", 404, 0, 3},
    {"Charlotte", "NC", 704, 0, 2},
    {"Raleigh", "NC", 919, 0, 2},
    {"Dallas", "TX", 214, 0, 4},
    {"Houston", "TX", 713, 0, 4},
    {"Austin", "TX", 512, 0, 3},
    {"San Antonio", "TX", 210, 0, 2},
    {"Phoenix", "AZ", 602, 0, 3},
    {"Denver", "CO", 303, 0, 3},
    {"Salt Lake City", "UT", 801, 0, 1},
    {"Las Vegas", "NV", 702, 0, 1},
    {"Los Angeles", "CA", 213, 0, 3},
    {"San Jose", "CA", 408, 0, 2},
    {"Seattle", "WA", 206, 0, 2},
    {"Portland", "OR", 503, 0, 1},
    {"New York", "NY", 212, 0, 3},
    {"Newark", "NJ", 973, 0, 1},
    {"Philadelphia", "PA", 215, 0, 2},
    {"Pittsburgh", "PA", 412, 0, 2},
    {"Boston", "MA", 617, 0, 2},
    {"Miami", "FL", 305, 0, 2},
    {"Tampa", "FL", 813, 0, 1},
    {"Orlando", "FL", 407, 0, 1},
};
const size_t demo_ncities = sizeof demo_cities / sizeof demo_cities[0];

/* ---- tracks ----------------------------------------------------------- */

static const char *const mfg_cores[] = {
    "Precision Tooling", "Metal Works", "Plastics", "Fabrication", "Machining", "Components",
    "Packaging", "Tool & Die", "Castings", "Manufacturing",
};
static const char *const mfg_certs[] = {
    "OSHA 10", "AWS D1.1 structural welding certification", "Six Sigma Green Belt",
    "NIMS CNC operator credential", "forklift certification",
};
static const char *const mfg_ach[] = {
    "cut scrap on a high-volume stamping line by {pct}%",
    "ran {n} CNC machines at once while holding tolerances of ±0.001 in.",
    "trained {n} new operators on lockout/tagout procedures",
    "helped the plant pass an ISO 9001 audit with zero findings",
    "kept a {n}-station welding cell running through a staffing shortage",
    "rebuilt the preventive maintenance schedule for {n} production lines",
};
static const char *const mfg_shifts[] = {
    "first shift", "second shift", "third shift", "rotating shifts", "weekend shifts",
};
static const char *const mfg_suffixes[] = {
    " - 1st shift", " - 2nd shift", " - 3rd shift", " - weekends", " (temp-to-hire)",
    " - 2nd shift, $2 differential",
};
static const char *const mfg_titles[] = {
    "Plant Manager", "Production Supervisor", "Maintenance Manager",
};

static const char *const hc_cores[] = {
    "Health Partners", "Medical Center", "Family Clinic", "Senior Living", "Rehabilitation",
    "Home Health", "Imaging", "Community Hospital", "Pediatrics",
};
static const char *const hc_certs[] = {
    "BLS", "ACLS", "{state} RN license", "Certified Phlebotomy Technician (CPT)",
    "CNA certification", "PALS",
};
static const char *const hc_ach[] = {
    "cared for up to {n} patients per shift on a busy med-surg floor",
    "drew blood from {n}0+ patients a day in an outpatient lab",
    "helped roll out Epic charting across {n} units",
    "precepted {n} new graduate nurses",
    "kept a perfect medication-safety record for {tenure}",
    "covered night shifts in a {n}-bed ICU through a winter surge",
};
static const char *const hc_shifts[] = {
    "day shifts", "night shifts", "12-hour shifts", "PRN assignments", "weekend shifts",
};
static const char *const hc_suffixes[] = {
    " - ICU", " - Med/Surg", " - nights", " - PRN", " - Telemetry", " (travel, 13 weeks)",
};
static const char *const hc_titles[] = {
    "Director of Nursing", "Nurse Manager", "Lab Supervisor",
};

static const char *const log_cores[] = {
    "Logistics", "Freight", "Distribution", "Transport", "Warehousing", "Supply Chain",
    "Cold Storage", "Express", "Fulfillment",
};
static const char *const log_certs[] = {
    "forklift certification", "Class A CDL with hazmat endorsement", "OSHA 10",
    "DOT medical card", "reach truck certification",
};
static const char *const log_ach[] = {
    "loaded and unloaded {n} trailers a shift with a perfect safety record",
    "kept cycle-count accuracy above 99% in a {n}0,000-SKU warehouse",
    "drove {n}00,000 accident-free miles",
    "picked {n}0 orders an hour during peak season",
    "helped launch a new WMS at the {city2} distribution center",
    "cut dock-to-stock time by {pct}%",
};
static const char *const log_shifts[] = {
    "second shift", "overnight shifts", "early-morning starts", "regional routes",
    "peak-season overtime",
};
static const char *const log_suffixes[] = {
    " - 2nd shift", " - overnight", " - peak season", " (temp-to-hire)", " - regional",
};
static const char *const log_titles[] = {
    "Warehouse Manager", "Transportation Manager", "Shift Supervisor",
};

static const char *const it_cores[] = {
    "Software", "Data Systems", "Technologies", "Cloud Services", "Networks", "Analytics",
    "IT Solutions",
};
static const char *const it_certs[] = {
    "AWS Certified Solutions Architect – Associate", "CompTIA A+", "CompTIA Security+",
    "Cisco CCNA", "Certified Kubernetes Administrator", "Tableau Desktop Specialist",
};
static const char *const it_ach[] = {
    "migrated {n} services to AWS with no downtime",
    "cut report runtimes from hours to minutes by rewriting slow SQL queries",
    "supported {n}00 users on a busy help desk",
    "built REST APIs used by {n} internal teams",
    "automated nightly deployments with Docker and a CI pipeline",
    "reduced cloud spend by {pct}% by rightsizing servers",
};
static const char *const it_shifts[] = {
    "remote work", "hybrid schedules", "on-call rotations", "contract assignments",
};
static const char *const it_suffixes[] = {
    " (contract)", " (remote)", " (hybrid)", " (contract-to-hire)", " - Senior",
};
static const char *const it_titles[] = {
    "IT Director", "Engineering Manager", "CTO",
};

static const char *const fin_cores[] = {
    "Financial Group", "Capital", "Bank", "Credit Union", "Insurance", "Accounting Services",
    "Wealth Advisors",
};
static const char *const fin_certs[] = {
    "CPA", "Certified Payroll Professional (CPP)", "QuickBooks ProAdvisor",
    "Certified Management Accountant (CMA)", "ADP Workforce Now training",
};
static const char *const fin_ach[] = {
    "closed the books {n} days faster each month",
    "processed weekly payroll for about {n}00 employees",
    "reconciled {n}0 bank accounts every month",
    "cleared a {n}-month backlog of unapplied cash",
    "moved the AP team from paper invoices to QuickBooks",
    "found ${n},000 in duplicate vendor payments",
};
static const char *const fin_shifts[] = {
    "standard business hours", "hybrid schedules", "month-end overtime",
    "temp-to-hire assignments",
};
static const char *const fin_suffixes[] = {
    " (temp)", " (contract)", " - month-end close", " (temp-to-hire)",
};
static const char *const fin_titles[] = {
    "Controller", "CFO", "Accounting Manager",
};

static const char *const hos_cores[] = {
    "Hotels", "Hospitality Group", "Catering", "Restaurants", "Resort", "Event Center",
    "Inn & Suites",
};
static const char *const hos_certs[] = {
    "ServSafe Food Handler", "ServSafe Manager", "TIPS alcohol certification",
    "CPR and first aid",
};
static const char *const hos_ach[] = {
    "worked the line during {n}00-cover dinner services",
    "set up banquets for events of up to {n}00 guests",
    "kept a perfect health inspection record for {tenure}",
    "trained {n} new servers and bussers",
    "cleaned up to {n} rooms a shift during peak season",
    "ran the front desk alone on overnight shifts",
};
static const char *const hos_shifts[] = {
    "evening shifts", "weekend events", "split shifts", "early breakfast shifts",
};
static const char *const hos_suffixes[] = {
    " - banquets", " - weekends", " - seasonal", " - evenings",
};
static const char *const hos_titles[] = {
    "General Manager", "Executive Chef", "Banquet Manager",
};

static const char *const con_cores[] = {
    "Builders", "Construction", "Electric", "Mechanical", "Roofing", "Concrete", "Contractors",
};
static const char *const con_certs[] = {
    "OSHA 30", "{state} journeyman electrician license", "EPA Section 608 certification",
    "NCCER Core", "OSHA 10",
};
static const char *const con_ach[] = {
    "wired {n} new-build homes to NEC code",
    "framed {n} multi-family buildings",
    "ran an excavator on a {n}-mile road project",
    "installed HVAC systems in {n} commercial buildings",
    "went {tenure} without a lost-time incident",
    "finished drywall on a {n}-story office building",
};
static const char *const con_shifts[] = {
    "early starts", "overtime", "out-of-town projects", "commercial projects",
};
static const char *const con_suffixes[] = {
    " - commercial", " - residential", " - prevailing wage", " - industrial",
};
static const char *const con_titles[] = {
    "Project Manager", "Superintendent", "Site Foreman",
};

static const char *const ret_cores[] = {
    "Market", "Outfitters", "Home Goods", "Grocers", "Hardware", "Furniture",
};
static const char *const ret_certs[] = {
    "CPR and first aid", "Salesforce Administrator", "customer experience certificate",
    "food handler card",
};
static const char *const ret_ach[] = {
    "handled {n}0 customer calls a day with top satisfaction scores",
    "led a register team of {n}",
    "cut shrink by {pct}% with better loss-prevention habits",
    "was the top seller in the store for {n} months running",
    "opened and closed the store alone on weekends",
};
static const char *const ret_shifts[] = {
    "weekend shifts", "holiday-season hours", "evening shifts", "part-time hours",
};
static const char *const ret_suffixes[] = {
    " - holiday season", " - bilingual", " - part-time", " (temp)",
};
static const char *const ret_titles[] = {
    "Store Manager", "District Manager", "Customer Care Manager",
};

static const char *const off_cores[] = {
    "Consulting", "Legal Services", "Marketing", "Property Management", "Business Services",
    "Advisors",
};
static const char *const off_certs[] = {
    "Microsoft Office Specialist (MOS)", "SHRM-CP", "notary public commission",
    "typing certificate (65 wpm)",
};
static const char *const off_ach[] = {
    "managed calendars for {n} executives",
    "onboarded {n}0 new hires in a single quarter",
    "digitized {n} years of paper records",
    "answered a {n}-line phone system for a busy front office",
    "cut supply costs by {pct}% by consolidating vendors",
};
static const char *const off_shifts[] = {
    "standard business hours", "part-time hours", "hybrid schedules", "temp-to-hire assignments",
};
static const char *const off_suffixes[] = {
    " (temp)", " (temp-to-hire)", " - front office", " - part-time",
};
static const char *const off_titles[] = {
    "Office Manager", "Managing Partner", "HR Director",
};

#define TRACK(industry, field, weight, p) \
    {industry, field, weight, LIST(p##_cores), LIST(p##_certs), LIST(p##_ach), \
     LIST(p##_shifts), LIST(p##_suffixes), LIST(p##_titles)}

const demo_track demo_tracks[DEMO_NTRACKS] = {
    [DEMO_MANUFACTURING] = TRACK("manufacturing", "manufacturing", 20, mfg),
    [DEMO_HEALTHCARE]    = TRACK("healthcare", "healthcare", 15, hc),
    [DEMO_LOGISTICS]     = TRACK("logistics", "warehousing and logistics", 20, log),
    [DEMO_IT]            = TRACK("IT", "information technology", 9, it),
    [DEMO_FINANCE]       = TRACK("finance", "accounting and finance", 7, fin),
    [DEMO_HOSPITALITY]   = TRACK("hospitality", "hospitality", 9, hos),
    [DEMO_CONSTRUCTION]  = TRACK("construction", "construction", 8, con),
    [DEMO_RETAIL]        = TRACK("retail", "retail and customer service", 6, ret),
    [DEMO_OFFICE]        = TRACK("professional services", "office administration", 6, off),
};
