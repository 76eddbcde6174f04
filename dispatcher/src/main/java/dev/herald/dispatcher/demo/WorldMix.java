package dev.herald.dispatcher.demo;

import dev.herald.dispatcher.demo.AudienceMix.Country;
import dev.herald.dispatcher.demo.AudienceMix.Segment;

import java.util.List;

import static dev.herald.dispatcher.demo.AudienceMix.Segment.nanp;
import static dev.herald.dispatcher.demo.AudienceMix.Segment.of;

/**
 * The default {@link AudienceMix}: weights in percent of the audience, roughly a global
 * brand's list. Zones with odd offsets are there on purpose (Kolkata +05:30, Kathmandu +05:45,
 * Tehran +03:30, Yangon +06:30, St John's -03:30, Adelaide +09:30, Lord Howe +10:30 with its
 * half-hour DST, Chatham +12:45), as are zones that a number alone cannot tell apart (Australian
 * and New Zealand mobiles, the Canary Islands, Newfoundland).
 *
 * <p>Prefixes are mobile ranges (NANP: area code plus exchange digit 2-9, all typed
 * fixed-line-or-mobile) checked against libphonenumber 9.0; the Ofcom drama range
 * {@code +447700900xxx} is deliberately absent (it is not a valid number).
 */
final class WorldMix {

    private static final List<String> EN = List.of("James", "Mary", "Olivia", "Noah", "Emma", "Liam", "Ava", "Zoë");

    static final AudienceMix MIX = new AudienceMix(List.of(
            new Country("US", 1, "en-US", EN, List.of(
                    nanp("America/New_York", 12.0, "212", "917", "305", "404"),
                    nanp("America/Chicago", 8.0, "312", "773", "713", "214"),
                    nanp("America/Denver", 2.0, "303", "720"),
                    nanp("America/Phoenix", 1.0, "602"),
                    nanp("America/Los_Angeles", 6.5, "213", "415", "206"),
                    nanp("America/Anchorage", 0.2, "907"),
                    nanp("Pacific/Honolulu", 0.3, "808"))),
            new Country("IN", 91, "en-IN", List.of("Aarav", "Priya", "Vihaan", "Ananya", "Arjun", "Diya", "Rohan"),
                    List.of(of("Asia/Kolkata", 12.0, 8, "98", "99", "70"))),
            new Country("BR", 55, "pt-BR", List.of("João", "Maria", "Ana", "Pedro", "Lucas", "Júlia", "Gabriel"),
                    List.of(of("America/Sao_Paulo", 5.5, 8, "119", "219", "619"),
                            of("America/Manaus", 0.7, 8, "929"),
                            of("America/Recife", 0.8, 8, "819"))),
            new Country("GB", 44, "en-GB", List.of("Oliver", "Amelia", "Harry", "Isla", "George", "Sophie", "Siân"),
                    List.of(of("Europe/London", 6.0, 7, "740", "795"))),
            new Country("DE", 49, "de-DE", List.of("Lukas", "Lena", "Jürgen", "Sophie", "Felix", "Mia", "Jonas"),
                    List.of(of("Europe/Berlin", 6.0, 8, "151", "152"))),
            new Country("CN", 86, "zh-CN", List.of("伟", "芳", "娜", "秀英", "敏", "静", "强"),
                    List.of(of("Asia/Shanghai", 6.0, 8, "138", "139", "186"))),
            new Country("FR", 33, "fr-FR", List.of("Gabriel", "Léa", "Louis", "Chloé", "Hugo", "Manon", "Raphaël"),
                    List.of(of("Europe/Paris", 5.0, 7, "61", "62", "75"))),
            new Country("JP", 81, "ja-JP", List.of("翔太", "さくら", "Haruto", "陽菜", "蓮", "Yui", "大翔"),
                    List.of(of("Asia/Tokyo", 4.0, 7, "901"))),
            new Country("MX", 52, "es-MX", List.of("José", "Guadalupe", "Santiago", "Sofía", "Mateo", "Valentina"),
                    List.of(of("America/Mexico_City", 2.2, 8, "55", "33", "81"),
                            of("America/Cancun", 0.4, 7, "998"),
                            of("America/Tijuana", 0.4, 7, "664"))),
            new Country("CA", 1, "en-CA", EN, List.of(
                    nanp("America/Toronto", 1.3, "416", "647", "514"),
                    nanp("America/Vancouver", 0.6, "604"),
                    nanp("America/Edmonton", 0.3, "780"),
                    nanp("America/Winnipeg", 0.2, "204"),
                    nanp("America/Regina", 0.1, "306"),
                    nanp("America/Halifax", 0.2, "902"),
                    nanp("America/St_Johns", 0.3, "709"))),
            new Country("AU", 61, "en-AU", List.of("Jack", "Charlotte", "William", "Matilda", "Thomas", "Chloe"),
                    List.of(of("Australia/Sydney", 1.1, 7, "40"),
                            of("Australia/Melbourne", 0.9, 7, "41"),
                            of("Australia/Brisbane", 0.5, 7, "42"),
                            of("Australia/Perth", 0.3, 7, "43"),
                            of("Australia/Adelaide", 0.13, 6, "450"),
                            of("Australia/Hobart", 0.05, 6, "451"),
                            of("Australia/Lord_Howe", 0.02, 6, "452"))),
            new Country("ES", 34, "es-ES", List.of("Hugo", "Lucía", "Martín", "Sofía", "Álvaro", "Paula"),
                    List.of(of("Europe/Madrid", 1.9, 7, "61", "62"),
                            of("Atlantic/Canary", 0.1, 7, "63"))),
            new Country("IT", 39, "it-IT", List.of("Leonardo", "Giulia", "Francesco", "Aurora", "Niccolò", "Sofia"),
                    List.of(of("Europe/Rome", 2.0, 8, "33", "34"))),
            new Country("NG", 234, "en-NG", List.of("Chinedu", "Ngozi", "Emeka", "Aisha", "Tunde", "Funmilayo"),
                    List.of(of("Africa/Lagos", 2.0, 7, "803", "806", "813"))),
            new Country("ID", 62, "id-ID", List.of("Budi", "Siti", "Agus", "Dewi", "Putri", "Rizky"),
                    List.of(of("Asia/Jakarta", 2.0, 8, "812", "813"))),
            new Country("ZA", 27, "en-ZA", List.of("Thabo", "Naledi", "Sipho", "Lerato", "Pieter", "Anele"),
                    List.of(of("Africa/Johannesburg", 2.0, 7, "82", "83", "72"))),
            new Country("PH", 63, "en-PH", List.of("Juan", "Maria", "Jose", "Angel", "Mark", "Princess"),
                    List.of(of("Asia/Manila", 1.0, 7, "917", "918"))),
            new Country("AR", 54, "es-AR", List.of("Santiago", "Martina", "Benjamín", "Catalina", "Thiago"),
                    List.of(of("America/Argentina/Buenos_Aires", 1.0, 7, "9115"))),
            new Country("NZ", 64, "en-NZ", List.of("Oliver", "Isla", "Nikau", "Aroha", "Jack", "Ruby"),
                    List.of(of("Pacific/Auckland", 0.97, 7, "21", "22"),
                            of("Pacific/Chatham", 0.03, 7, "27"))),
            new Country("KR", 82, "ko-KR", List.of("민준", "서연", "도윤", "지우", "Minjun", "Seoyeon"),
                    List.of(of("Asia/Seoul", 0.8, 7, "102"))),
            new Country("NP", 977, "ne-NP", List.of("Aayush", "Sita", "Bikash", "Anjali", "सुमन", "Prakash"),
                    List.of(of("Asia/Kathmandu", 0.5, 7, "980", "984"))),
            new Country("IR", 98, "fa-IR", List.of("Ali", "Fatemeh", "Reza", "Zahra", "Mohammad", "Maryam"),
                    List.of(of("Asia/Tehran", 0.5, 7, "912", "935"))),
            new Country("MM", 95, "my-MM", List.of("Aung", "Thandar", "Kyaw", "Hnin", "Zaw", "Su"),
                    List.of(of("Asia/Yangon", 0.2, 7, "925")))));

    private WorldMix() {
    }
}
